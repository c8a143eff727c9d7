import { beforeAll, describe, expect, test } from '@jest/globals';
import * as A from '@automerge/automerge';
import { advertise, applySpec, configViews, newFleetDoc, revokeMember, writeCoordinate, writeStatus, type FleetDoc, type MemberReport } from '../../../decentralized/fleet-doc.js';
import { fleetConfigStatus, fleetMembers, fleetReports } from '../../../decentralized/fleet-status.js';
import { testFleet, type TestFleet } from './signers.js';

let tf: TestFleet;
beforeAll(async () => {
  tf = await testFleet(['member-1', 'member-2', 'member-3', 'member-4', 'member-5', 'member-6']);
});

type Doc = A.Doc<FleetDoc>;
const NOW = '2026-11-26T05:00:00.000Z';

const report = (member: string, generation: number, extra: Partial<MemberReport> = {}): MemberReport => ({
  member, featureconfig: 'gpu', generation, features: [{ name: 'podpreset', state: 'Supported' }], updated: NOW, ...extra,
});

/** member-1..4 advertised; member-5 only published a coordinate; gpu created on member-1 (fleet generation 1). */
function fleet(): Doc {
  let d = newFleetDoc();
  for (const m of ['member-1', 'member-2', 'member-3', 'member-4']) d = advertise(d, m, `10.0.0.${m.slice(-1)}:7946`, tf.signer(m));
  d = writeCoordinate(d, { member: 'member-5', coordinate: { vec: [0], height: 0, adjustment: 0, error: 1 }, samples: 1, updated: NOW }, tf.signer('member-5'));
  return applySpec(d, 'member-1', 'gpu', { podpreset: true });
}
const gen = (d: Doc) => configViews(d).get('gpu')!.generation;

describe('decentralized FeatureConfig status: the fleet document is the member registry', () => {
  test('members: advertised, reporting or publishing a coordinate, minus revoked; self always', () => {
    let d = fleet();
    d = writeStatus(d, report('member-6', 1), tf.signer('member-6'));
    expect(fleetMembers(d)).toEqual(['member-1', 'member-2', 'member-3', 'member-4', 'member-5', 'member-6']);
    d = revokeMember(d, { member: 'member-4', by: 'operator', at: NOW }, tf.caSigner);
    expect(fleetMembers(d, 'member-9')).toEqual(['member-1', 'member-2', 'member-3', 'member-5', 'member-6', 'member-9']);
  });

  test('counts the reports for the current fleet generation and names the members that have not reported', () => {
    let d = fleet();
    d = writeStatus(d, report('member-1', 1), tf.signer('member-1'));
    d = writeStatus(d, report('member-2', 1, { features: [{ name: 'podpreset', state: 'Missing', reason: 'NoCRD' }] }), tf.signer('member-2'));
    d = writeStatus(d, report('member-3', 1), tf.signer('member-3'));
    d = applySpec(d, 'member-2', 'gpu', { podpreset: true, networkpolicy: true }); // generation 2: the reports above are stale
    expect(gen(d)).toBe(2);
    d = writeStatus(d, report('member-1', 2), tf.signer('member-1'));
    const s = fleetConfigStatus(d, 'gpu', gen(d), 7, undefined, NOW);
    expect(s.members).toEqual({ selected: 5, reported: 1, ready: 1 });
    expect(s.observedGeneration).toBe(7);
    const reported = s.conditions!.find((c) => c.type === 'Reported')!;
    expect(reported).toMatchObject({ status: 'False', reason: 'MembersNotReported', observedGeneration: 7, lastTransitionTime: NOW });
    expect(reported.message).toBe('1/5 selected members of the fleet reported for fleet generation 2; not yet: '
      + 'member-2 (last report for generation 1), member-3 (last report for generation 1), member-4 (no report), member-5 (no report)');
    expect(s.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Probing' });
  });

  test('a member the clusterSelector does not select says so and is not waited for; a stale "not selected" is', () => {
    let d = fleet();
    for (const m of ['member-1', 'member-2', 'member-3']) d = writeStatus(d, report(m, 1), tf.signer(m));
    d = writeStatus(d, report('member-4', 1, { selected: false, features: [] }), tf.signer('member-4'));
    d = revokeMember(d, { member: 'member-5', by: 'operator', at: NOW }, tf.caSigner);
    const r = fleetReports(d, 'gpu', 1);
    expect(r.selected).toEqual(['member-1', 'member-2', 'member-3']);
    expect(r.notSelected).toEqual(['member-4']);
    const s = fleetConfigStatus(d, 'gpu', 1, 1, undefined, NOW);
    expect(s.members).toEqual({ selected: 3, reported: 3, ready: 3 });
    expect(s.clusterSummary).toBe('3/3');
    expect(s.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    expect(s.conditions!.find((c) => c.type === 'Reported')).toMatchObject({
      status: 'True', reason: 'AllMembersReported',
      message: '3/3 selected members of the fleet reported for fleet generation 1; not selected by spec.clusterSelector: member-4',
    });
    // The selector may have changed with the next generation: member-4 is waited for again until it answers.
    const next = fleetReports(d, 'gpu', 2);
    expect(next.selected).toContain('member-4');
    expect(next.missing.find((m) => m.member === 'member-4')).toEqual({ member: 'member-4', lastGeneration: 1 });
  });

  test('the Reported condition keeps its transition time while its status stays', () => {
    let d = fleet();
    d = writeStatus(d, report('member-1', 1), tf.signer('member-1'));
    const first = fleetConfigStatus(d, 'gpu', 1, 1, undefined, NOW);
    d = writeStatus(d, report('member-2', 1), tf.signer('member-2'));
    const later = fleetConfigStatus(d, 'gpu', 1, 1, first, '2026-11-26T05:01:00.000Z');
    const cond = later.conditions!.find((c) => c.type === 'Reported')!;
    expect(cond.status).toBe('False');
    expect(cond.lastTransitionTime).toBe(NOW);
    expect(cond.message).toContain('2/5');
  });

  test('no member selected', () => {
    let d = newFleetDoc();
    d = applySpec(d, 'member-1', 'gpu', { podpreset: true });
    d = writeStatus(d, report('member-1', 1, { selected: false, features: [] }), tf.signer('member-1'));
    const s = fleetConfigStatus(d, 'gpu', 1, 1, undefined, NOW, 'member-1');
    expect(s.members).toEqual({ selected: 0, reported: 0, ready: 0 });
    expect(s.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NoMemberSelected' });
    expect(s.conditions!.find((c) => c.type === 'Reported')).toMatchObject({ status: 'True', reason: 'NoMemberSelected' });
  });
});
