import { countSample, evenSplit, mck8sCapacity, mck8sWorkload, mck8sWorstFit, notRunningFraction, pendingPodFraction, totalReplicas } from '../../../evaluation/placement-strategies.js';

const MEMBERS = ['member-1', 'member-2', 'member-3', 'member-4', 'member-5'];

describe("mck8s's example workload as a stream", () => {
  it('repeats the example MultiClusterDeployment: 3 locations × 2 replicas of 1000m / 1024Mi, every other one needing the feature', () => {
    const apps = mck8sWorkload({ apps: 4, intervalSeconds: 5, requireEvery: 2, feature: 'networkpolicy' });
    expect(apps.map((a) => [a.name, a.at, a.requires])).toEqual([['hello-01', 0, undefined], ['hello-02', 5, 'networkpolicy'], ['hello-03', 10, undefined], ['hello-04', 15, 'networkpolicy']]);
    expect(apps.every((a) => a.cpuMilli === 1000 && a.memoryMi === 1024 && totalReplicas(a) === 6)).toBe(true);
    expect(mck8sWorkload({ apps: 2, intervalSeconds: 1, requireEvery: 0, feature: 'x' }).some((a) => a.requires)).toBe(false);
  });
});

describe('even split', () => {
  it('gives every member ⌊n/members⌋ and the remainder one each, capacity-blind', () => {
    const s = evenSplit(6, MEMBERS, 'ns/hello-01');
    expect(Object.values(s).reduce((a, b) => a + b, 0)).toBe(6);
    expect(Object.keys(s)).toEqual(MEMBERS);
    expect(Object.values(s).sort()).toEqual([1, 1, 1, 1, 2]);
    expect(evenSplit(10, MEMBERS, 'k')).toEqual(Object.fromEntries(MEMBERS.map((m) => [m, 2])));
    expect(Object.keys(evenSplit(2, MEMBERS, 'k'))).toHaveLength(2);
  });

  it('spreads the extra replica over members as the key changes (KubeFed-style hash, not always member-1)', () => {
    const extras = new Set(Array.from({ length: 20 }, (_, i) => Object.entries(evenSplit(6, MEMBERS, `ns/hello-${i}`)).find(([, n]) => n === 2)![0]));
    expect(extras.size).toBeGreaterThan(1);
  });
});

describe("mck8s's worst fit as written", () => {
  it('capacity per member: Σ nodes min(⌊free mCPU / req⌋, ⌊free MiB / req⌋)', () => {
    // mck8s's testbed nodes: 4 CPU / 16 GiB → 4 pods of 1 CPU / 1 GiB; 2 CPU / 4 GiB → 2.
    expect(mck8sCapacity(Array(5).fill({ freeCpuMilli: 4000, freeMemoryMi: 16384 }), 1000, 1024)).toBe(20);
    expect(mck8sCapacity(Array(5).fill({ freeCpuMilli: 2000, freeMemoryMi: 4096 }), 1000, 1024)).toBe(10);
    expect(mck8sCapacity([{ freeCpuMilli: 8000, freeMemoryMi: 1500 }, { freeCpuMilli: 1999, freeMemoryMi: 9000 }], 1000, 1024)).toBe(2);
  });

  it('sorts by capacity (stable on ties), gives each of numberOfLocations min(replicas, capacity), spills the overflow', () => {
    expect(mck8sWorstFit({ 'member-1': 20, 'member-2': 10, 'member-3': 10, 'member-4': 10, 'member-5': 20 }, 2, 3))
      .toEqual({ assignments: { 'member-1': 2, 'member-5': 2, 'member-2': 2 }, overflow: 0 });
    // A member with no room is not eligible at all.
    expect(mck8sWorstFit({ 'member-1': 0, 'member-2': 4, 'member-3': 3, 'member-5': 1 }, 2, 2))
      .toEqual({ assignments: { 'member-2': 2, 'member-3': 2 }, overflow: 0 });
    // b can take 1 of its 2: the other spills to c, the next in order.
    expect(mck8sWorstFit({ a: 3, b: 1, c: 1 }, 2, 2)).toEqual({ assignments: { a: 2, b: 1, c: 1 }, overflow: 0 });
  });

  it('creates nothing when replicas are left over (mck8s raises a TemporaryError and retries)', () => {
    expect(mck8sWorstFit({ a: 1, b: 1, c: 0 }, 2, 2)).toEqual({ assignments: {}, overflow: 2 });
    expect(mck8sWorstFit({ a: 3, b: 1, c: 0 }, 2, 3)).toEqual({ assignments: {}, overflow: 1 });
    expect(mck8sWorstFit({}, 2, 3)).toEqual({ assignments: {}, overflow: 6 });
  });
});

describe('samples', () => {
  const apps = mck8sWorkload({ apps: 2, intervalSeconds: 5, requireEvery: 2, feature: 'networkpolicy' });
  it('counts Running, Pending, unplaced and pods of feature-requiring apps on members lacking it', () => {
    const pods = [
      ...Array.from({ length: 4 }, () => ({ member: 'member-1', app: 'hello-01', phase: 'Running' })),
      { member: 'member-3', app: 'hello-01', phase: 'Pending' },
      { member: 'member-3', app: 'hello-02', phase: 'Running' },
      { member: 'member-3', app: 'hello-02', phase: 'Pending' },
      { member: 'member-2', app: 'hello-02', phase: 'Running' },
      { member: 'member-2', app: 'other', phase: 'Running' },
    ];
    const s = countSample(12, apps, new Set(['hello-01', 'hello-02']), pods, { networkpolicy: ['member-3'] }, MEMBERS);
    expect(s).toMatchObject({ t: 12, requested: 12, running: 6, pending: 2, unplaced: 4, onLacking: 2 });
    expect(s.perMember['member-3']).toEqual({ running: 1, pending: 2 });
    expect(notRunningFraction(s)).toBe(0.5);
    expect(pendingPodFraction(s)).toBe(0.25);
  });

  it('ignores applications not yet submitted', () => {
    const s = countSample(0, apps, new Set(['hello-01']), [{ member: 'member-1', app: 'hello-02', phase: 'Running' }], {}, MEMBERS);
    expect(s).toMatchObject({ requested: 6, running: 0, unplaced: 6 });
    expect(notRunningFraction(countSample(0, apps, new Set(), [], {}, MEMBERS))).toBe(0);
  });
});
