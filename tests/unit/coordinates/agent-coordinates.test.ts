import { describe, expect, it } from '@jest/globals';
import { AgentCoordinates } from '../../../coordinates/agent-coordinates.js';
import { distance, medianRelativeError } from '../../../coordinates/vivaldi.js';
import { fogMatrix, ms, seeded } from '../../support/vivaldi-simulation.js';

// Agents sample each other as gossip does: a random peer, the RTT of the pair, the peer's coordinate as its pong carries it.
function gossipRounds(rtt: number[][], rounds: number, seed: number): AgentCoordinates[] {
  const random = seeded(seed);
  const agents = rtt.map((_, i) => new AgentCoordinates(undefined, seeded(seed * 100 + i)));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < rtt.length; i++) {
      let j = Math.floor(random() * rtt.length);
      if (j === i) j = (j + 1) % rtt.length;
      agents[i]!.sample(`m${j}`, agents[j]!.own(), rtt[i]![j]!);
    }
  }
  return agents;
}

describe('agent coordinates from agent-to-agent round trips', () => {
  it('place a fog topology from samples between agents only: edge sites near each other, the cloud far', () => {
    const rtt = fogMatrix();
    const agents = gossipRounds(rtt, 600, 7);
    const coords = agents.map((a) => a.own());
    expect(medianRelativeError(coords, rtt)).toBeLessThan(0.1);
    // Edge site 0 predicts edge site 1 near and the cloud (4) far, with no sample taken through a host.
    expect(distance(coords[0]!, coords[1]!)).toBeLessThan(ms(12));
    expect(distance(coords[0]!, coords[4]!)).toBeGreaterThan(ms(30));
  });

  it("keeps what it measured per peer and predicts from the peer's published coordinate", () => {
    const a = new AgentCoordinates(undefined, seeded(1));
    const b = new AgentCoordinates(undefined, seeded(2));
    for (let i = 0; i < 50; i++) {
      a.sample('b', b.own(), ms(20 + (i % 3)));
      b.sample('a', a.own(), ms(20 + (i % 3)));
    }
    const view = a.view('b')!;
    expect(view.samples).toBe(50);
    expect(view.measuredRTT).toBeCloseTo(ms(21), 6); // median of the last three
    expect(view.predictedRTT).toBeGreaterThan(ms(15));
    expect(view.predictedRTT).toBeLessThan(ms(27));
    expect(a.peerCount()).toBe(1);
    // A member never linked to: predicted from the coordinate the fleet document carries, nothing measured.
    const far = a.view('c', { ...b.own(), vec: b.own().vec.map((x) => x + ms(100)) })!;
    expect(far.samples).toBe(0);
    expect(far.measuredRTT).toBe(0);
    expect(far.predictedRTT).toBeGreaterThan(ms(100));
    expect(a.view('nobody')).toBeUndefined();
  });

  it('refuses a peer coordinate that would corrupt its own', () => {
    const a = new AgentCoordinates(undefined, seeded(3));
    const before = a.own();
    expect(a.sample('x', { vec: [NaN, 0, 0, 0, 0, 0, 0, 0], error: 1, adjustment: 0, height: 0.001 }, ms(5))).toBe(false);
    expect(a.sample('x', { vec: [0, 0], error: 1, adjustment: 0, height: 0.001 }, ms(5))).toBe(false);
    expect(a.own()).toEqual(before);
    expect(a.peerCount()).toBe(0);
  });
});
