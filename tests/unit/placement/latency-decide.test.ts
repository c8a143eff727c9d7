import { describe, expect, it } from '@jest/globals';
import type { LatencySpec } from '../../../api/featureplacement.js';
import { newCoordinate, type Coordinate } from '../../../coordinates/vivaldi.js';
import { decideLatency, divideByShares, resolveOrigins } from '../../../placement/latency-decide.js';
import type { Qualified } from '../../../placement/filter.js';
import { plan, type PlanInput } from '../../../placement/plan.js';

/** A coordinate on a line, x in ms (height at the minimum, 0.01 ms). */
const at = (xMs: number): Coordinate => ({ ...newCoordinate(), vec: [xMs / 1000, 0, 0, 0, 0, 0, 0, 0], error: 0.1 });
// Fog: three edge sites 4 ms apart and a cloud site 50 ms from edge-a.
const coords = (over: Record<string, number> = {}) => new Map(Object.entries({ 'edge-a': 0, 'edge-b': 4, 'edge-c': 8, cloud: 50, ...over }).map(([k, x]) => [k, at(x)]));
const roomy: Qualified[] = ['cloud', 'edge-a', 'edge-b', 'edge-c'].map((name) => ({ name, capacity: 100 }));
const fromA: LatencySpec = { origins: [{ member: 'edge-a' }] };

/** The controller's sequence: feature/capacity filter (given), latency step, then the plan. */
function place(spec: LatencySpec, qualified: Qualified[], c: Map<string, Coordinate>, over: Partial<PlanInput> = {}) {
  const d = decideLatency(spec, qualified, c);
  const p = plan({ replicas: 12, policy: 'Latency', type: 'Divided', overflow: 'Next', preferences: {}, qualified: d.qualified, key: 'ns/app', latencyWeights: d.weights, ...over });
  return { d, p };
}

describe('decideLatency + plan (policy Latency)', () => {
  it('one origin: most replicas on the nearest member, fewer with distance, the cloud keeps its (1 − α)/n part', () => {
    const { d, p } = place(fromA, roomy, coords());
    // weights 0.426 / 0.302 / 0.219 / 0.053 (α 0.8, β 0.1/ms over 0, 4, 8, 50 ms) × 12, largest remainders
    expect(p.assignments).toEqual({ 'edge-a': 5, 'edge-b': 3, 'edge-c': 3, cloud: 1 });
    expect(p.order).toEqual(['edge-a', 'edge-b', 'edge-c', 'cloud']);
    expect(d.weights['edge-a']).toBeCloseTo(0.426, 3);
    expect(d.weights.cloud).toBeCloseTo(0.0525, 3);
    expect(d.rttMs['edge-b']).toBeCloseTo(4.02, 2);
    expect(d.excluded).toEqual([]);
  });

  it('capped by capacity: what the nearest member cannot take goes to the next nearest with room', () => {
    const q = roomy.map((m) => (m.name === 'edge-a' ? { ...m, capacity: 2 } : m));
    expect(place(fromA, q, coords()).p.assignments).toEqual({ 'edge-a': 2, 'edge-b': 6, 'edge-c': 3, cloud: 1 });
  });

  it('overflow None: what fits nowhere near is unschedulable, not moved', () => {
    const q = roomy.map((m) => ({ ...m, capacity: 1 }));
    const { p } = place(fromA, q, coords(), { overflow: 'None' });
    expect(p.assignments).toEqual({ 'edge-a': 1, 'edge-b': 1, 'edge-c': 1, cloud: 1 });
    expect(p.unschedulable).toBe(8);
  });

  it('maxRttMs excludes members beyond reach with a reason; the rest share the replicas', () => {
    const { d, p } = place({ ...fromA, maxRttMs: 20 }, roomy, coords());
    expect(d.excluded).toEqual([{ name: 'cloud', reason: 'BeyondMaxRtt', message: expect.stringMatching(/farther than maxRttMs 20 ms from every origin \(nearest: edge-a at 50\.0 ms\)/) }]);
    expect(p.assignments.cloud).toBeUndefined();
    expect(Object.values(p.assignments).reduce((a, b) => a + b)).toBe(12);
  });

  it('members without a coordinate are excluded (CoordinateUnknown); an origin without one is reported, the others used', () => {
    const c = coords();
    c.delete('edge-c');
    const { d, p } = place({ origins: [{ member: 'edge-a' }, { member: 'edge-c', share: 5 }] }, roomy, c);
    expect(d.excluded).toEqual([expect.objectContaining({ name: 'edge-c', reason: 'CoordinateUnknown' })]);
    expect(d.unresolved).toEqual(['edge-c: member has no ClusterCoordinate yet']);
    expect(Object.keys(p.assignments)).toEqual(['edge-a', 'edge-b', 'cloud']);
  });

  it('no usable origin: every member is excluded (NoOrigin) and nothing is placed', () => {
    const { d, p } = place({ origins: [{ member: 'gone' }] }, roomy, coords());
    expect(d.excluded.map((e) => e.reason)).toEqual(['NoOrigin', 'NoOrigin', 'NoOrigin', 'NoOrigin']);
    expect(d.excluded[0]!.message).toMatch(/no origin has a coordinate: gone: member has no ClusterCoordinate yet/);
    expect(p.assignments).toEqual({});
    expect(p.unschedulable).toBe(12);
  });

  it('an explicit coordinate origin (ms) near the cloud site puts most replicas there', () => {
    const { p } = place({ origins: [{ name: 'cloud-users', coordinate: { vec: [49, 0, 0, 0, 0, 0, 0, 0] } }] }, roomy, coords());
    expect(p.order[0]).toBe('cloud');
    expect(p.assignments.cloud).toBeGreaterThan(6);
  });

  it('a member whose stored coordinate is unusable is neither origin nor candidate', () => {
    const c = coords();
    c.set('edge-b', { ...at(4), vec: [0.004, 0] });
    const d = decideLatency({ origins: [{ member: 'edge-b' }, { member: 'edge-a' }] }, roomy, c);
    expect(d.unresolved).toEqual(['edge-b: the member\'s ClusterCoordinate is not a usable 8-dimensional coordinate']);
    expect(d.excluded).toEqual([expect.objectContaining({ name: 'edge-b', reason: 'CoordinateUnknown' })]);
  });

  it('an explicit coordinate of the wrong size is refused with why', () => {
    expect(resolveOrigins({ origins: [{ name: 'x', coordinate: { vec: [1, 2] } }] }, coords()).unresolved).toEqual(['x: coordinate must have 8 finite numbers in vec (got 2)']);
  });

  it('two edge origins with traffic shares: the busier origin’s site gets more', () => {
    const { p } = place({ origins: [{ member: 'edge-a', share: 3 }, { member: 'edge-c', share: 1 }] }, roomy, coords());
    expect(p.assignments['edge-a']!).toBeGreaterThan(p.assignments['edge-c']!);
    expect(p.assignments['edge-c']!).toBeGreaterThan(p.assignments.cloud ?? 0);
  });

  it('numberOfClusters keeps the nearest members; overflow beyond their capacity goes to the next nearest', () => {
    const q = roomy.map((m) => ({ ...m, capacity: 4 }));
    expect(place(fromA, q, coords(), { numberOfClusters: 2 }).p.assignments).toEqual({ 'edge-a': 4, 'edge-b': 4, 'edge-c': 4 });
  });

  it('placement follows a delay change: edge-b moving from 4 to 30 ms loses replicas to the origin’s site (rebalance)', () => {
    const before = place(fromA, roomy, coords()).p.assignments;
    const after = place(fromA, roomy, coords({ 'edge-b': 30 })).p;
    expect(after.assignments).toEqual({ 'edge-a': 7, 'edge-c': 3, 'edge-b': 1, cloud: 1 });
    expect(after.assignments['edge-b']!).toBeLessThan(before['edge-b']!);
    expect(after.order).toEqual(['edge-a', 'edge-c', 'edge-b', 'cloud']);
  });

  it('without rebalance, replicas that run stay where they are', () => {
    const current = { 'edge-a': 5, 'edge-b': 3, 'edge-c': 3, cloud: 1 };
    const { p } = place(fromA, roomy, coords({ 'edge-b': 30 }), { current });
    expect(p.assignments).toEqual(current);
  });
});

describe('divideByShares', () => {
  const slot = (name: string, max: number, min = 0) => ({ name, min, max, weight: 1 });
  it('mins first, then by weight, capped, excess in the given order', () => {
    const d = divideByShares(10, [slot('a', 3, 1), slot('b', 10), slot('c', 10)], { a: 0.8, b: 0.1, c: 0.1 });
    // 1 to a first; 9 left by weight: a 7 (capped to 2 more), b 1, c 1; 5 excess to b (next with room)
    expect(Object.fromEntries(d.plan)).toEqual({ a: 3, b: 6, c: 1 });
    expect(d.remaining).toBe(0);
  });
  it('no weight at all: everything fills in order', () => {
    const d = divideByShares(5, [slot('a', 3), slot('b', 1)], {});
    expect(Object.fromEntries(d.plan)).toEqual({ a: 3, b: 1 });
    expect(d.remaining).toBe(1);
  });
});
