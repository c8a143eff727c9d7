import type { ClusterFeatureStatus, FeatureConfigStatus } from '../../../api/featureconfig.js';
import { aggregateStatus, sameStatus, withTransition } from '../../../controller/status.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:05:00Z';

const member = (name: string, ...states: Array<[string, ClusterFeatureStatus['features'][number]['state'], string?]>): ClusterFeatureStatus => ({
  name,
  features: states.map(([f, state, reason]) => ({ name: f as 'podpreset', state, reason })),
});

const cond = (s: FeatureConfigStatus, type: string) => s.conditions!.find((c) => c.type === type)!;

describe('aggregateStatus', () => {
  it('is Ready only when every selected member supports every feature', () => {
    const results = new Map([['m1', member('m1', ['podpreset', 'Supported'])], ['m2', member('m2', ['podpreset', 'Supported'])]]);
    const s = aggregateStatus(3, ['m2', 'm1'], results, undefined, T0);
    expect(s.observedGeneration).toBe(3);
    expect(s.clusterSummary).toBe('2/2');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'AllFeaturesSupported', observedGeneration: 3 });
    expect(cond(s, 'Degraded').status).toBe('False');
    expect(s.members).toEqual({ selected: 2, reported: 2, ready: 2 });
    expect(s.featureCounts).toMatchObject({ Supported: 2, Failed: 0 });
    expect(s.attention).toEqual([]);
  });

  it('is Unknown while some member has not been probed', () => {
    const s = aggregateStatus(1, ['m1', 'm2'], new Map([['m1', member('m1', ['podpreset', 'Supported'])]]), undefined, T0);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Probing' });
    expect(s.clusterSummary).toBe('1/2');
  });

  it('names missing, failed and unknown features and marks Degraded for failed or unreachable members', () => {
    const results = new Map([
      ['m1', member('m1', ['podpreset', 'Missing', 'APIGroupAbsent'])],
      ['m2', member('m2', ['podpreset', 'Unknown', 'MemberOffline'])],
      ['m3', member('m3', ['podpreset', 'Supported'])],
    ]);
    const s = aggregateStatus(1, ['m1', 'm2', 'm3'], results, undefined, T0);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'MembersUnknown' });
    expect(cond(s, 'Ready').message).toContain('m1/podpreset: APIGroupAbsent');
    expect(cond(s, 'Ready').message).toContain('m2/podpreset: MemberOffline');
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'MembersUnknown' });
    expect(s.clusterSummary).toBe('1/3');
  });

  it('prefers ReconfigurationFailed and reports Progressing while a member reconfigures', () => {
    const results = new Map([
      ['m1', member('m1', ['podpreset', 'Failed', 'WebhookNotReady'])],
      ['m2', member('m2', ['podpreset', 'Reconfiguring', 'Installing'])],
    ]);
    const s = aggregateStatus(1, ['m1', 'm2'], results, undefined, T0);
    expect(cond(s, 'Ready').reason).toBe('ReconfigurationFailed');
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'Reconfiguring' });
    expect(cond(s, 'Degraded').reason).toBe('ReconfigurationFailed');
  });

  it('says so when no member is selected', () => {
    const s = aggregateStatus(1, [], new Map(), undefined, T0);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'NoMemberSelected' });
    expect(s.clusterSummary).toBe('0/0');
  });

  it('keeps lastTransitionTime of a condition whose status did not change', () => {
    const results = new Map([['m1', member('m1', ['podpreset', 'Missing'])]]);
    const first = aggregateStatus(1, ['m1'], results, undefined, T0);
    const again = aggregateStatus(1, ['m1'], results, first, T1);
    expect(cond(again, 'Ready').lastTransitionTime).toBe(T0);
    const flipped = aggregateStatus(1, ['m1'], new Map([['m1', member('m1', ['podpreset', 'Supported'])]]), first, T1);
    expect(cond(flipped, 'Ready').lastTransitionTime).toBe(T1);
  });

  it('shortens long lists in messages', () => {
    const names = Array.from({ length: 8 }, (_, i) => `m${i}`);
    const results = new Map(names.map((n) => [n, member(n, ['podpreset', 'Missing'])]));
    const s = aggregateStatus(1, names, results, undefined, T0);
    expect(cond(s, 'Ready').message).toContain('and 3 more');
  });
});

describe('withTransition / sameStatus', () => {
  it('moves lastTransitionTime only on a state change', () => {
    const prev = { name: 'podpreset' as const, state: 'Missing' as const, lastTransitionTime: T0 };
    expect(withTransition(prev, { name: 'podpreset', state: 'Missing', reason: 'X' }, T1).lastTransitionTime).toBe(T0);
    expect(withTransition(prev, { name: 'podpreset', state: 'Supported' }, T1).lastTransitionTime).toBe(T1);
    expect(withTransition(undefined, { name: 'podpreset', state: 'Supported' }, T1).lastTransitionTime).toBe(T1);
  });

  it('ignores timestamps but not content', () => {
    const results = new Map([['m1', member('m1', ['podpreset', 'Missing'])]]);
    const a = aggregateStatus(1, ['m1'], results, undefined, T0);
    const b = aggregateStatus(1, ['m1'], results, undefined, T1);
    expect(sameStatus(a, b)).toBe(true);
    expect(sameStatus(a, aggregateStatus(2, ['m1'], results, undefined, T0))).toBe(false);
    expect(sameStatus(undefined, a)).toBe(false);
  });
});

describe('aggregateStatus at fleet size', () => {
  it('stays small: counts and at most 20 members needing attention, Failed first', () => {
    const names = Array.from({ length: 3500 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    const results = new Map(names.map((n, i) => [n, member(n,
      ['podpreset', i % 100 === 7 ? 'Failed' : i % 10 === 3 ? 'Missing' : 'Supported'],
      ['networkpolicy', i === 3499 ? 'Unknown' : 'Supported'])]));
    const s = aggregateStatus(1, names, results, undefined, T0);
    expect(s.members).toEqual({ selected: 3500, reported: 3500, ready: 3500 - 35 - 350 - 1 }); // m3499 is Unknown on networkpolicy
    expect(s.featureCounts).toEqual({ Supported: 7000 - 35 - 350 - 1, Missing: 350, Reconfiguring: 0, Failed: 35, Unknown: 1 });
    expect(s.attention).toHaveLength(20);
    expect(s.attention!.slice(0, 20).every((a) => a.state === 'Failed')).toBe(true);
    expect(JSON.stringify(s).length).toBeLessThan(16 * 1024);
  });

  it('lists Unknown after Failed and before Missing', () => {
    const s = aggregateStatus(1, ['a', 'b', 'c'], new Map([
      ['a', member('a', ['podpreset', 'Missing', 'APINotServed'])], ['b', member('b', ['podpreset', 'Unknown', 'ClusterOffline'])], ['c', member('c', ['podpreset', 'Failed', 'VerifyTimeout'])],
    ]), undefined, T0);
    expect(s.attention!.map((a) => [a.cluster, a.state, a.reason])).toEqual([['c', 'Failed', 'VerifyTimeout'], ['b', 'Unknown', 'ClusterOffline'], ['a', 'Missing', 'APINotServed']]);
  });
});
