import { beforeAll, describe, expect, test } from '@jest/globals';
import * as A from '@automerge/automerge';
import { compact, compactableKeys, loadFleetDoc, saveFleetDoc } from '../../../decentralized/compaction.js';
import { applySpec, configViews, deleteConfig, liveConfigs, newFleetDoc, reports, revokeMember, writeStatus } from '../../../decentralized/fleet-doc.js';
import { PeerSync } from '../../../decentralized/peer-sync.js';
import { testFleet, type TestFleet } from './signers.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const hours = (h: number) => new Date(t0.getTime() + h * 3600_000);
const report = (member: string, fc: string) => ({ member, featureconfig: fc, generation: 1, features: [], updated: t0.toISOString() });

let tf: TestFleet;
beforeAll(async () => {
  tf = await testFleet(['m1', 'm3']);
});

describe('compaction', () => {
  test('a deleted FeatureConfig is forgotten only after the retention window; live ones are kept', () => {
    let d = applySpec(newFleetDoc(), 'm1', 'old', { podpreset: true, kubelet: { cpuManagerPolicy: 'static' } });
    d = applySpec(d, 'm1', 'kept', { networkpolicy: true });
    d = writeStatus(d, report('m1', 'old'), tf.signer('m1'));
    d = writeStatus(d, report('m1', 'kept'), tf.signer('m1'));
    d = deleteConfig(d, 'm1', 'old', t0);
    expect(compactableKeys(d, hours(23))).toEqual([]);
    expect(compact(d, hours(23))).toBe(d);
    const keys = compactableKeys(d, hours(24));
    expect(keys.length).toBe(6); // two leaves, change count, tombstone, delete time, one report
    d = compact(d, hours(24));
    expect([...configViews(d).keys()]).toEqual(['kept']);
    expect(reports(d).map((r) => r.featureconfig)).toEqual(['kept']);
  });

  test('a revoked member\'s reports are dropped', () => {
    let d = writeStatus(newFleetDoc(), report('m3', 'gpu'), tf.signer('m3'));
    d = writeStatus(d, report('m1', 'gpu'), tf.signer('m1'));
    d = revokeMember(d, { member: 'm3', by: 'operator', at: t0.toISOString() }, tf.caSigner);
    d = compact(d, t0);
    expect(reports(d).map((r) => r.member)).toEqual(['m1']);
  });

  test('a saved and loaded document keeps syncing with a peer that holds the whole history', () => {
    let a = newFleetDoc();
    for (let i = 0; i < 20; i++) a = applySpec(a, 'm1', 'gpu', { kubelet: { containerLogMaxFiles: i + 1 } });
    let b = loadFleetDoc(saveFleetDoc(a));
    expect(A.getActorId(b)).not.toBe(A.getActorId(a));
    b = applySpec(b, 'm2', 'gpu', { kubelet: { containerLogMaxFiles: 20 }, mode: 'inform' });
    const sa = new PeerSync();
    const sb = new PeerSync();
    for (let i = 0; i < 10; i++) {
      const m1 = sb.outgoing(b);
      if (m1) a = sa.incoming(a, m1);
      const m2 = sa.outgoing(a);
      if (m2) b = sb.incoming(b, m2);
      if (!m1 && !m2) break;
    }
    expect(liveConfigs(a).get('gpu')?.spec).toEqual({ kubelet: { containerLogMaxFiles: 20 }, mode: 'inform' });
  });
});
