import { describe, expect, it } from '@jest/globals';
import { DEFAULT_LATENCY, latencyWeights, meanOriginToReplicaRtt, meanOriginToReplicaRttSpread, proportional, type LatencyCandidate } from '../../../placement/latency.js';
import { newCoordinate, type Coordinate } from '../../../coordinates/vivaldi.js';

/** A coordinate on a line, x in ms (height at the minimum). */
const at = (xMs: number): Coordinate => ({ ...newCoordinate(), vec: [xMs / 1000, 0, 0, 0, 0, 0, 0, 0], error: 0.1 });
// Fog: edge-a at 0, edge-b at 4 ms, edge-c at 8 ms, cloud at 50 ms.
const members: LatencyCandidate[] = [
  { name: 'edge-a', coordinate: at(0) }, { name: 'edge-b', coordinate: at(4) }, { name: 'edge-c', coordinate: at(8) }, { name: 'cloud', coordinate: at(50) },
];

describe('latencyWeights', () => {
  it('one origin: the nearest member gets most, everyone keeps (1 − α)/n, weights sum to 1', () => {
    const w = latencyWeights([{ name: 'edge-a', coordinate: at(0), share: 1 }], members);
    const get = (n: string) => w.weights.get(n)!;
    expect([...w.weights.values()].reduce((a, b) => a + b)).toBeCloseTo(1, 10);
    expect(get('edge-a')).toBeGreaterThan(get('edge-b'));
    expect(get('edge-b')).toBeGreaterThan(get('edge-c'));
    expect(get('edge-c')).toBeGreaterThan(get('cloud'));
    // the cloud, 50 ms away, keeps about the even part only: (1 − 0.8) / 4
    expect(get('cloud')).toBeCloseTo(0.05, 2);
    // e^(−0.1·0) : e^(−0.1·4) between edge-a and edge-b, on the α part
    const alphaPart = (n: string) => get(n) - 0.05;
    expect(alphaPart('edge-a') / alphaPart('edge-b')).toBeCloseTo(Math.exp(0.4), 3);
    expect(w.nearest).toEqual(['edge-a', 'edge-b', 'edge-c', 'cloud']);
  });

  it('two origins with traffic shares: weights follow the shares', () => {
    const w = latencyWeights([{ name: 'edge-a', coordinate: at(0), share: 3 }, { name: 'edge-c', coordinate: at(8), share: 1 }], members);
    expect(w.weights.get('edge-a')!).toBeGreaterThan(w.weights.get('edge-c')!);
    expect(w.weights.get('edge-c')!).toBeGreaterThan(w.weights.get('cloud')!);
    expect([...w.weights.values()].reduce((a, b) => a + b)).toBeCloseTo(1, 10);
  });

  it('α = 1 is purely by nearness, α = 0 purely even', () => {
    const pure = latencyWeights([{ name: 'o', coordinate: at(0), share: 1 }], members, { ...DEFAULT_LATENCY, alpha: 0 });
    for (const v of pure.weights.values()) expect(v).toBeCloseTo(0.25, 10);
    const near = latencyWeights([{ name: 'o', coordinate: at(0), share: 1 }], members, { ...DEFAULT_LATENCY, alpha: 1 });
    expect(near.weights.get('cloud')!).toBeLessThan(0.01);
  });

  it('maxRttMs excludes members out of every origin’s reach, naming the nearest origin', () => {
    const w = latencyWeights([{ name: 'edge-a', coordinate: at(0), share: 1 }], members, { ...DEFAULT_LATENCY, maxRttMs: 10 });
    expect(w.weights.has('cloud')).toBe(false);
    expect(w.excluded.get('cloud')).toMatch(/farther than maxRttMs 10 ms from every origin \(nearest: edge-a at 50\.0 ms\)/);
    expect(w.nearest).toEqual(['edge-a', 'edge-b', 'edge-c']);
  });

  it('an origin no member reaches sends its share to its nearest member and is named', () => {
    const w = latencyWeights([{ name: 'far-away', coordinate: at(200), share: 1 }], members, { ...DEFAULT_LATENCY, maxRttMs: 10 });
    expect(w.unreachedOrigins).toEqual(['far-away']);
    expect([...w.weights.keys()]).toEqual(['cloud']);
  });

  it('does not underflow for origins hundreds of ms away', () => {
    const far = [{ name: 'x', coordinate: at(5000) }, { name: 'y', coordinate: at(5010) }];
    const w = latencyWeights([{ name: 'o', coordinate: at(0), share: 1 }], far);
    expect(w.weights.get('x')! + w.weights.get('y')!).toBeCloseTo(1, 10);
    expect(w.weights.get('x')!).toBeGreaterThan(w.weights.get('y')!);
  });

  it('refuses α outside [0, 1] and a negative β', () => {
    expect(() => latencyWeights([], members, { alpha: 1.5, betaPerMs: 0.1 })).toThrow(/alpha must be between 0 and 1/);
    expect(() => latencyWeights([], members, { alpha: 0.5, betaPerMs: -1 })).toThrow(/beta must be 0 or more/);
  });
});

describe('meanOriginToReplicaRtt', () => {
  it('users go to the nearest member holding a replica', () => {
    const coords = new Map(members.map((m) => [m.name, m.coordinate]));
    const origins = [{ name: 'a', coordinate: at(0), share: 1 }, { name: 'c', coordinate: at(8), share: 1 }];
    const edgeHeight = 2 * newCoordinate().height * 1000;
    expect(meanOriginToReplicaRtt(new Map([['cloud', 3]]), origins, coords)).toBeCloseTo((50 + 42) / 2 + edgeHeight, 3);
    expect(meanOriginToReplicaRtt(new Map([['edge-a', 1], ['edge-c', 1], ['cloud', 0]]), origins, coords)).toBeCloseTo(edgeHeight, 3);
    expect(meanOriginToReplicaRtt(new Map(), origins, coords)).toBeNaN();
  });
});

describe('meanOriginToReplicaRttSpread and proportional', () => {
  const coords = new Map(members.map((m) => [m.name, m.coordinate]));
  const h = 2 * newCoordinate().height * 1000;
  it('requests spread over replicas by count', () => {
    const origins = [{ name: 'a', coordinate: at(0), share: 1 }];
    // 1 of 4 replicas in the cloud (50 ms), 3 at edge-a (0 ms)
    expect(meanOriginToReplicaRttSpread(new Map([['edge-a', 3], ['cloud', 1]]), origins, coords)).toBeCloseTo(50 / 4 + h, 3);
  });
  it('divides by largest remainder, exactly the total, nothing to a zero weight', () => {
    const plan = proportional(10, new Map([['a', 0.5], ['b', 0.3], ['c', 0.2], ['d', 0]]));
    expect(Object.fromEntries(plan)).toEqual({ a: 5, b: 3, c: 2, d: 0 });
    const odd = proportional(7, new Map([['a', 1], ['b', 1], ['c', 1]]));
    expect([...odd.values()].reduce((x, y) => x + y)).toBe(7);
    expect(Object.fromEntries(odd)).toEqual({ a: 3, b: 2, c: 2 });
    expect(proportional(5, new Map()).size).toBe(0);
  });
});
