import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_VIVALDI, VivaldiNode, applyForce, distance, medianRelativeError, newCoordinate, type Coordinate,
} from '../../../coordinates/vivaldi.js';
import { fogMatrix, gridMatrix, ms, seeded, simulate, starMatrix } from '../../support/vivaldi-simulation.js';

describe('Vivaldi coordinates', () => {
  it('learns a 5×5 grid of 10 ms spacing to a median relative error under 5 %', () => {
    const rtt = gridMatrix(5, 10);
    const untrained = medianRelativeError(rtt.map(() => newCoordinate()), rtt);
    const nodes = simulate(rtt, 400, 1);
    const err = medianRelativeError(nodes.map((n) => n.coordinate), rtt);
    expect(untrained).toBeGreaterThan(0.9); // all at the origin: every prediction is the two heights
    expect(err).toBeLessThan(0.05);
  });

  it('models access links as heights: a star of links 5 to 50 ms is predicted within 5 %', () => {
    const rtt = starMatrix([5, 10, 20, 30, 50, 8, 12]);
    const coords = simulate(rtt, 400, 2).map((n) => n.coordinate);
    expect(medianRelativeError(coords, rtt)).toBeLessThan(0.05);
    // the node with the 50 ms link is predicted farthest from everyone
    const far = coords.map((c, i) => coords.reduce((s, o, j) => (i === j ? s : s + distance(c, o)), 0));
    expect(far.indexOf(Math.max(...far))).toBe(4);
  });

  it('keeps a fog topology apart: edge sites near each other, the cloud site far, with 10 % measurement noise', () => {
    const rtt = fogMatrix();
    const coords = simulate(rtt, 600, 3, 0.1).map((n) => n.coordinate);
    expect(medianRelativeError(coords, rtt)).toBeLessThan(0.1);
    const cloud = coords[4]!;
    for (let i = 0; i < 4; i++) {
      expect(distance(coords[i]!, cloud)).toBeGreaterThan(ms(30));
      for (let j = 0; j < 4; j++) if (i !== j) expect(distance(coords[i]!, coords[j]!)).toBeLessThan(ms(12));
    }
  });

  it('ignores one slow sample among normal ones (median latency filter)', () => {
    const peer: Coordinate = { ...newCoordinate(), vec: [ms(10), 0, 0, 0, 0, 0, 0, 0], error: 0.1 };
    const run = (spike: boolean) => {
      const n = new VivaldiNode(DEFAULT_VIVALDI, seeded(4));
      for (let k = 0; k < 30; k++) n.update('p', peer, k === 20 && spike ? 1.5 : ms(10));
      return n.distanceTo(peer);
    };
    expect(run(true)).toBeCloseTo(run(false), 4);
    // without the filter (size 1) the spike does move it
    const unfiltered = new VivaldiNode({ ...DEFAULT_VIVALDI, latencyFilterSize: 1 }, seeded(4));
    for (let k = 0; k < 30; k++) unfiltered.update('p', peer, k === 20 ? 1.5 : ms(10));
    expect(Math.abs(unfiltered.distanceTo(peer) - run(false))).toBeGreaterThan(ms(1));
  });

  it('refuses samples and peers that would corrupt the coordinate', () => {
    const n = new VivaldiNode(DEFAULT_VIVALDI, seeded(5));
    const before = n.coordinate;
    const peer = newCoordinate();
    expect(n.update('p', peer, Number.NaN)).toBe(false);
    expect(n.update('p', peer, -0.001)).toBe(false);
    expect(n.update('p', peer, 60)).toBe(false);
    expect(n.update('p', { ...peer, vec: [Number.NaN, 0, 0, 0, 0, 0, 0, 0] }, ms(5))).toBe(false);
    expect(n.update('p', { ...peer, vec: [0, 0] }, ms(5))).toBe(false);
    expect(n.coordinate).toEqual(before);
    expect(n.update('p', peer, ms(5))).toBe(true);
    expect(n.coordinate).not.toEqual(before);
  });

  it('error estimates fall as predictions improve and never exceed the maximum', () => {
    const rtt = gridMatrix(3, 20);
    const early = simulate(rtt, 3, 6).map((n) => n.coordinate.error);
    const late = simulate(rtt, 300, 6).map((n) => n.coordinate.error);
    expect(Math.max(...early)).toBeLessThanOrEqual(DEFAULT_VIVALDI.errorMax);
    expect(Math.max(...late)).toBeLessThan(0.2);
    expect(late.reduce((a, b) => a + b) / late.length).toBeLessThan(early.reduce((a, b) => a + b) / early.length);
  });

  it('gravity keeps the fleet near the origin', () => {
    const rtt = gridMatrix(4, 10);
    const withGravity = simulate(rtt, 2000, 7).map((n) => n.coordinate);
    const centroid = withGravity[0]!.vec.map((_, d) => withGravity.reduce((s, c) => s + c.vec[d]!, 0) / withGravity.length);
    expect(Math.hypot(...centroid)).toBeLessThan(ms(20));
  });

  it('applyForce moves along the line between two points and keeps heights at or above the minimum', () => {
    const a: Coordinate = { ...newCoordinate(), vec: [1, 0, 0, 0, 0, 0, 0, 0], height: ms(1) };
    const b: Coordinate = { ...newCoordinate(), vec: [0, 0, 0, 0, 0, 0, 0, 0], height: ms(1) };
    const pushed = applyForce(a, 0.5, b, DEFAULT_VIVALDI, seeded(8));
    expect(pushed.vec[0]).toBeCloseTo(1.5);
    expect(pushed.vec.slice(1).every((x) => x === 0)).toBe(true);
    const pulled = applyForce(a, -10, b, DEFAULT_VIVALDI, seeded(8));
    expect(pulled.height).toBe(DEFAULT_VIVALDI.heightMin);
    // coincident points: a random direction, unit length times the force
    const same = applyForce(b, 0.25, b, DEFAULT_VIVALDI, seeded(8));
    expect(Math.hypot(...same.vec)).toBeCloseTo(0.25);
  });
});
