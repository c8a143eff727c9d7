import { plan, type PlanInput } from '../../../placement/plan.js';

// mck8s's testbed with its example pod (1 core, 1 GiB): clusters 1 and 5 have five 4-core/16 GB workers (20
// replicas each), clusters 2-4 five 2-core/4 GB workers (10 each). tests/unit/placement/capacity.test.ts derives these.
const testbed = [
  { name: 'c1', capacity: 20 }, { name: 'c2', capacity: 10 }, { name: 'c3', capacity: 10 }, { name: 'c4', capacity: 10 }, { name: 'c5', capacity: 20 },
];
const input = (over: Partial<PlanInput>): PlanInput => ({
  replicas: 10, policy: 'WorstFit', type: 'Divided', overflow: 'Next', preferences: {}, qualified: testbed, key: 'default/hello', ...over,
});
const sum = (a: Record<string, number>) => Object.values(a).reduce((x, y) => x + y, 0);

describe('plan: mck8s worked examples (Duplicated = replicas per location)', () => {
  it('worst fit, 2 locations × 25: the two big clusters take 20 each, the 10 left spill to the next cluster', () => {
    const p = plan(input({ type: 'Duplicated', numberOfClusters: 2, replicas: 25 }));
    expect(p.assignments).toEqual({ c1: 20, c5: 20, c2: 10 });
    expect(p.unschedulable).toBe(0);
    expect(p.order).toEqual(['c1', 'c5', 'c2', 'c3', 'c4']);
  });

  it('worst fit, 2 locations × 5: each gets its 5, nothing spills', () => {
    expect(plan(input({ type: 'Duplicated', numberOfClusters: 2, replicas: 5 })).assignments).toEqual({ c1: 5, c5: 5 });
  });

  it('best fit, 1 location × 12: the smallest cluster first, 2 spill to the next smallest', () => {
    const p = plan(input({ policy: 'BestFit', type: 'Duplicated', numberOfClusters: 1, replicas: 12 }));
    expect(p.assignments).toEqual({ c2: 10, c3: 2 });
    expect(p.order.slice(0, 3)).toEqual(['c2', 'c3', 'c4']);
  });

  it('overflow None leaves what does not fit unschedulable instead of spilling', () => {
    const p = plan(input({ type: 'Duplicated', numberOfClusters: 2, replicas: 25, overflow: 'None' }));
    expect(p.assignments).toEqual({ c1: 20, c5: 20 });
    expect(p.unschedulable).toBe(10);
  });

  it('reports what the whole federation cannot take', () => {
    const p = plan(input({ type: 'Duplicated', numberOfClusters: 5, replicas: 25 }));
    expect(p.assignments).toEqual({ c1: 20, c5: 20, c2: 10, c3: 10, c4: 10 });
    expect(p.unschedulable).toBe(15 + 15 + 15 + 5 + 5);
  });
});

describe('plan: Duplicated with fewer qualifying members than locations', () => {
  it('counts the missing locations as unschedulable (seen in the placement experiment: 4 of 6 placed, reported 4/4)', () => {
    const p = plan(input({ type: 'Duplicated', numberOfClusters: 3, replicas: 2, qualified: [{ name: 'c1', capacity: 5 }, { name: 'c5', capacity: 5 }] }));
    expect(p.assignments).toEqual({ c1: 2, c5: 2 });
    expect(p.unschedulable).toBe(2);
  });

  it('with no qualifying member every replica is unschedulable, with or without numberOfClusters', () => {
    expect(plan(input({ type: 'Duplicated', numberOfClusters: 3, replicas: 2, qualified: [] })).unschedulable).toBe(6);
    expect(plan(input({ type: 'Duplicated', replicas: 2, qualified: [] })).unschedulable).toBe(2);
    // Without numberOfClusters every qualifying member is a location: nothing is missing.
    expect(plan(input({ type: 'Duplicated', replicas: 2 })).unschedulable).toBe(0);
  });
});

describe('plan: Divided', () => {
  it('WorstFit divides by free capacity, levelling the room left', () => {
    expect(plan(input({ replicas: 30 })).assignments).toEqual({ c1: 12, c5: 12, c2: 2, c3: 2, c4: 2 });
    expect(plan(input({ replicas: 10 })).assignments).toEqual({ c1: 5, c5: 5 });
  });

  it('BestFit packs the smallest members first', () => {
    expect(plan(input({ policy: 'BestFit', replicas: 15 })).assignments).toEqual({ c2: 10, c3: 5 });
  });

  it('numberOfClusters limits the members; overflow Next takes the next in order', () => {
    expect(plan(input({ numberOfClusters: 1, replicas: 25 })).assignments).toEqual({ c1: 20, c5: 5 });
    const none = plan(input({ numberOfClusters: 1, replicas: 25, overflow: 'None' }));
    expect(none.assignments).toEqual({ c1: 20 });
    expect(none.unschedulable).toBe(5);
  });

  it('Weighted follows KubeFed: "*" for all, named members override, capacity caps', () => {
    const p = plan(input({ policy: 'Weighted', replicas: 20, preferences: { '*': { weight: 1 }, c2: { weight: 3, maxReplicas: 6 } } }));
    expect(p.assignments.c2).toBe(6);
    expect(sum(p.assignments)).toBe(20);
    expect(p.order[0]).toBe('c2');
    // Capacity: 60 replicas with c2 weighted 10 stops c2 at its 10.
    expect(plan(input({ policy: 'Weighted', replicas: 60, preferences: { '*': { weight: 1 }, c2: { weight: 10 } } })).assignments.c2).toBe(10);
  });

  it('without "*", members not named get nothing; minReplicas is given first', () => {
    const p = plan(input({ policy: 'Weighted', replicas: 6, preferences: { c3: { weight: 1 }, c4: { weight: 0, minReplicas: 2 } } }));
    expect(p.assignments).toEqual({ c3: 4, c4: 2 });
    expect(p.order).toEqual(['c3', 'c4']);
  });

  it('maxReplicas caps a member under WorstFit too', () => {
    const p = plan(input({ replicas: 10, preferences: { '*': {}, c1: { maxReplicas: 1 } } }));
    expect(p.assignments.c1).toBe(1);
    expect(sum(p.assignments)).toBe(10);
  });

  it('no qualified member: everything is unschedulable', () => {
    expect(plan(input({ qualified: [] }))).toEqual({ assignments: {}, unschedulable: 10, order: [] });
  });
});

describe('plan: rescheduling moves only what must move (rebalance: false)', () => {
  it('keeps replicas where they are and places only the missing ones', () => {
    const p = plan(input({ replicas: 10, current: { c2: 4, c3: 4 } }));
    expect(p.assignments).toEqual({ c2: 4, c3: 4, c1: 1, c5: 1 });
  });

  it("moves a lost member's replicas to where the most room is, leaving the others", () => {
    const qualified = testbed.filter((m) => m.name !== 'c3');
    const p = plan(input({ replicas: 10, qualified, current: { c1: 2, c2: 4, c3: 4 } }));
    expect(p.assignments.c2).toBe(4);
    expect(p.assignments.c3).toBeUndefined();
    expect(p.assignments.c1! + p.assignments.c5!).toBe(6);
    expect(p.assignments.c1).toBeGreaterThanOrEqual(2);
  });

  it('moves replicas stuck Pending away from their member, which takes no new ones', () => {
    const p = plan(input({ replicas: 5, current: { c2: 5 }, stuck: { c2: 2 } }));
    expect(p.assignments.c2).toBe(3);
    expect(sum(p.assignments)).toBe(5);
  });

  it('scales down from the last-ranked member first', () => {
    expect(plan(input({ replicas: 5, current: { c1: 6, c2: 4 } })).assignments).toEqual({ c1: 5 });
  });

  it('with rebalance (no current given) divides anew', () => {
    expect(plan(input({ replicas: 10 })).assignments).toEqual({ c1: 5, c5: 5 });
  });

  it('Duplicated keeps its members in place when a bigger one appears', () => {
    const p = plan(input({ type: 'Duplicated', numberOfClusters: 2, replicas: 5, current: { c2: 5, c3: 5 } }));
    expect(p.assignments).toEqual({ c2: 5, c3: 5 });
  });

  it('a member whose capacity shrank keeps what fits, the rest moves', () => {
    const qualified = testbed.map((m) => (m.name === 'c2' ? { ...m, capacity: 3 } : m));
    const p = plan(input({ replicas: 8, qualified, current: { c2: 8 } }));
    expect(p.assignments.c2).toBe(3);
    expect(sum(p.assignments)).toBe(8);
  });
});
