import { beforeAll, describe, expect, test } from '@jest/globals';
import * as A from '@automerge/automerge';
import type { FeatureConfigSpec } from '../../../api/featureconfig.js';
import {
  applyLocalEdit,
  applySpec,
  configViews,
  deleteConfig,
  dropStatus,
  liveConfigs,
  newFleetDoc,
  reports,
  revokeMember,
  revokedMembers,
  specFromLeaves,
  specKey,
  specLeaves,
  writeStatus,
  type FleetDoc,
} from '../../../decentralized/fleet-doc.js';
import { PeerSync } from '../../../decentralized/peer-sync.js';
import { testFleet, type TestFleet } from './signers.js';

type Doc = A.Doc<FleetDoc>;

/** Replicas that exchange only Automerge sync messages, each pair with its own sync states. */
class Fleet {
  docs: Doc[];
  private links = new Map<string, PeerSync>();
  messages = 0;
  constructor(n: number) {
    // Distinct actors; ordered so tie-breaks are predictable only through the protocol, not by name.
    this.docs = Array.from({ length: n }, (_, i) => newFleetDoc(`0${i + 1}`.repeat(8)));
  }
  private link(from: number, to: number): PeerSync {
    const key = `${from}->${to}`;
    let s = this.links.get(key);
    if (!s) this.links.set(key, (s = new PeerSync()));
    return s;
  }
  /** Runs the protocol between a and b until neither has anything to send. */
  sync(a: number, b: number): void {
    for (let round = 0; round < 20; round++) {
      const ab = this.link(a, b).outgoing(this.docs[a]!);
      if (ab) {
        this.docs[b] = this.link(b, a).incoming(this.docs[b]!, ab);
        this.messages++;
      }
      const ba = this.link(b, a).outgoing(this.docs[b]!);
      if (ba) {
        this.docs[a] = this.link(a, b).incoming(this.docs[a]!, ba);
        this.messages++;
      }
      if (!ab && !ba) return;
    }
    throw new Error('sync did not settle in 20 rounds');
  }
  syncAll(): void {
    for (let i = 0; i < this.docs.length; i++) for (let j = i + 1; j < this.docs.length; j++) this.sync(i, j);
    for (let i = 0; i < this.docs.length; i++) for (let j = i + 1; j < this.docs.length; j++) this.sync(i, j);
  }
  live(i: number): Record<string, FeatureConfigSpec> {
    return Object.fromEntries([...liveConfigs(this.docs[i]!)].map(([k, v]) => [k, v.spec]));
  }
  expectConverged(): void {
    const first = this.live(0);
    for (let i = 1; i < this.docs.length; i++) expect(this.live(i)).toEqual(first);
    const heads = A.getHeads(this.docs[0]!).sort();
    for (let i = 1; i < this.docs.length; i++) expect(A.getHeads(this.docs[i]!).sort()).toEqual(heads);
  }
}

const gpu: FeatureConfigSpec = { podpreset: true, kubelet: { cpuManagerPolicy: 'static', kubeReserved: { cpu: '500m' } }, mode: 'enforce' };

describe('spec leaves', () => {
  test('round trip keeps arrays and empty objects whole', () => {
    const spec: FeatureConfigSpec = {
      networkpolicy: true,
      calico: {},
      clusterSelector: { matchLabels: { 'topology.kubernetes.io/zone': 'a' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['x', 'y'] }] },
      kubelet: { containerLogMaxFiles: 3 },
    };
    const leaves = specLeaves(spec);
    expect([...leaves.keys()]).toContain(JSON.stringify(['clusterSelector', 'matchExpressions']));
    expect([...leaves.keys()]).toContain(JSON.stringify(['calico']));
    expect(specFromLeaves([...leaves].map(([p, t]) => [JSON.parse(p) as string[], t]))).toEqual(spec);
  });

  test('a field name with the separator is refused', () => {
    expect(() => specLeaves({ kubelet: { kubeReserved: { 'a\u001fb': '1' } } })).toThrow(/reserved character/);
  });
});

describe('conversion writes only what changed', () => {
  test('applying the same spec again makes no change', () => {
    let d = applySpec(newFleetDoc(), 'm1', 'gpu', gpu);
    const heads = A.getHeads(d);
    d = applySpec(d, 'm1', 'gpu', structuredClone(gpu));
    expect(A.getHeads(d)).toEqual(heads);
  });

  test('one changed field is one written key; a removed field is removed', () => {
    let d = applySpec(newFleetDoc(), 'm1', 'gpu', gpu);
    const before = A.getHeads(d);
    d = applySpec(d, 'm1', 'gpu', { ...gpu, mode: 'inform', podpreset: undefined });
    const change = A.decodeChange(A.getChanges(A.view(d, before), d)[0]!);
    // mode set, podpreset removed, m1's change count bumped: three operations.
    expect(change.ops.map((o) => `${o.action}:${String(o.key).split('\u001f').slice(-1)[0]}`).sort()).toEqual(['del:podpreset', 'set:m1', 'set:mode']);
    expect(liveConfigs(d).get('gpu')?.spec).toEqual({ kubelet: gpu.kubelet, mode: 'inform' });
  });
});

describe('merge rules between replicas', () => {
  test('a FeatureConfig applied on one replica reaches the others through sync messages', () => {
    const f = new Fleet(3);
    f.docs[1] = applySpec(f.docs[1]!, 'member-2', 'gpu', gpu);
    f.sync(1, 0);
    f.sync(0, 2); // member-3 learns it second-hand
    expect(f.live(2)).toEqual({ gpu });
    f.expectConverged();
  });

  test('concurrent edits of different fields merge', () => {
    const f = new Fleet(3);
    f.docs[0] = applySpec(f.docs[0]!, 'm1', 'gpu', gpu);
    f.syncAll();
    f.docs[0] = applySpec(f.docs[0]!, 'm1', 'gpu', { ...gpu, mode: 'inform' });
    f.docs[1] = applySpec(f.docs[1]!, 'm2', 'gpu', { ...gpu, kubelet: { ...gpu.kubelet, containerLogMaxFiles: 4 } });
    f.docs[2] = applySpec(f.docs[2]!, 'm3', 'gpu', { ...gpu, podpreset: undefined });
    f.syncAll();
    f.expectConverged();
    expect(f.live(0).gpu).toEqual({ mode: 'inform', kubelet: { cpuManagerPolicy: 'static', kubeReserved: { cpu: '500m' }, containerLogMaxFiles: 4 } });
  });

  test('the same FeatureConfig created concurrently on two replicas keeps both sides\' fields', () => {
    const f = new Fleet(2);
    f.docs[0] = applySpec(f.docs[0]!, 'm1', 'net', { networkpolicy: true });
    f.docs[1] = applySpec(f.docs[1]!, 'm2', 'net', { podpreset: true });
    f.syncAll();
    f.expectConverged();
    expect(f.live(0).net).toEqual({ networkpolicy: true, podpreset: true });
  });

  test('concurrent edits of the same field converge to one winner on every replica, in any sync order', () => {
    const winners = new Set<string>();
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
      const f = new Fleet(3);
      f.docs[0] = applySpec(f.docs[0]!, 'm1', 'cpu', { cpumanagementpolicy: 'none' });
      f.syncAll();
      f.docs[1] = applySpec(f.docs[1]!, 'm2', 'cpu', { cpumanagementpolicy: 'static' });
      f.docs[2] = applySpec(f.docs[2]!, 'm3', 'cpu', { cpumanagementpolicy: 'none', mode: 'inform' });
      f.docs[0] = applySpec(f.docs[0]!, 'm1', 'cpu', { cpumanagementpolicy: 'static', mode: 'enforce' });
      f.sync(order[0]!, order[1]!);
      f.sync(order[1]!, order[2]!);
      f.sync(order[0]!, order[2]!);
      f.expectConverged();
      // The conflict is visible and its winner is Automerge's, not the last sync's.
      const spec = f.live(0).cpu!;
      winners.add(JSON.stringify(spec));
      expect(['none', 'static']).toContain(spec.cpumanagementpolicy);
      expect(A.getConflicts(f.docs[0]!, specKey('cpu', ['cpumanagementpolicy']))).toBeDefined();
    }
    // Same concurrent history (same actors), different delivery orders: the same winner.
    expect(winners.size).toBe(1);
  });

  test('a delete wins over every update it has seen', () => {
    const f = new Fleet(3);
    f.docs[0] = applySpec(f.docs[0]!, 'm1', 'gpu', gpu);
    f.syncAll();
    f.docs[1] = applySpec(f.docs[1]!, 'm2', 'gpu', { ...gpu, mode: 'inform' });
    f.sync(1, 2);
    f.docs[2] = deleteConfig(f.docs[2]!, 'm3', 'gpu');
    f.syncAll();
    f.expectConverged();
    expect(f.live(0)).toEqual({});
    expect(configViews(f.docs[0]!).get('gpu')).toMatchObject({ live: false, generation: 2, deletedAt: 2 });
  });

  test('an update concurrent with a delete (unseen by it) brings the FeatureConfig back whole, with the update', () => {
    const f = new Fleet(3);
    f.docs[0] = applySpec(f.docs[0]!, 'm1', 'gpu', gpu);
    f.syncAll();
    f.docs[1] = applySpec(f.docs[1]!, 'm2', 'gpu', { ...gpu, mode: 'inform' });
    f.docs[2] = deleteConfig(f.docs[2]!, 'm3', 'gpu');
    f.syncAll();
    f.expectConverged();
    expect(f.live(0)).toEqual({ gpu: { ...gpu, mode: 'inform' } });
  });

  test('two concurrent deletes, one having seen an update the other has not: the one that saw more decides', () => {
    const f = new Fleet(3);
    f.docs[0] = applySpec(f.docs[0]!, 'm1', 'gpu', gpu);
    f.syncAll();
    f.docs[1] = applySpec(f.docs[1]!, 'm2', 'gpu', { ...gpu, mode: 'inform' });
    f.sync(1, 2);
    f.docs[2] = deleteConfig(f.docs[2]!, 'm3', 'gpu'); // saw the update
    f.docs[0] = deleteConfig(f.docs[0]!, 'm1', 'gpu'); // did not
    f.syncAll();
    f.expectConverged();
    expect(f.live(0)).toEqual({});
  });

  test('re-creating after a delete starts from the new spec only', () => {
    const f = new Fleet(2);
    f.docs[0] = applySpec(f.docs[0]!, 'm1', 'gpu', gpu);
    f.docs[0] = deleteConfig(f.docs[0]!, 'm1', 'gpu');
    f.syncAll();
    f.docs[1] = applySpec(f.docs[1]!, 'm2', 'gpu', { networkpolicy: true });
    f.syncAll();
    f.expectConverged();
    expect(f.live(0)).toEqual({ gpu: { networkpolicy: true } });
  });

  test('members write their own status sections: concurrent reports never conflict and every replica shows all', () => {
    const f = new Fleet(3);
    for (const i of [0, 1, 2]) {
      f.docs[i] = writeStatus(f.docs[i]!, {
        member: `m${i + 1}`,
        featureconfig: 'gpu',
        generation: 1,
        reachable: true,
        features: [{ name: 'podpreset', state: i === 1 ? 'Missing' : 'Supported' }],
        updated: '2026-01-01T00:00:00Z',
      }, tf.signer(`m${i + 1}`));
    }
    f.syncAll();
    f.expectConverged();
    for (const i of [0, 1, 2]) {
      expect(reports(f.docs[i]!).map((r) => `${r.member}:${r.features[0]!.state}`)).toEqual(['m1:Supported', 'm2:Missing', 'm3:Supported']);
      for (const key of Object.keys(f.docs[i]!)) expect(A.getConflicts(f.docs[i]!, key)).toBeUndefined();
    }
    // A report differing only in time is not written again.
    const heads = A.getHeads(f.docs[0]!);
    f.docs[0] = writeStatus(f.docs[0]!, { ...reports(f.docs[0]!)[0]!, updated: '2026-01-02T00:00:00Z' }, tf.signer('m1'));
    // Only the member's own agent can write its section.
    expect(() => writeStatus(f.docs[0]!, { ...reports(f.docs[0]!)[1]!, features: [] }, tf.signer('m1'))).toThrow(/only be written by m2's agent/);
    expect(A.getHeads(f.docs[0]!)).toEqual(heads);
    f.docs[0] = dropStatus(f.docs[0]!, 'm1', 'gpu');
    f.syncAll();
    expect(reports(f.docs[2]!).map((r) => r.member)).toEqual(['m2', 'm3']);
  });

  test('a revocation reaches every replica', () => {
    const f = new Fleet(3);
    f.docs[0] = revokeMember(f.docs[0]!, { member: 'm3', by: 'operator', at: '2026-01-01T00:00:00Z' }, tf.caSigner);
    expect(() => revokeMember(f.docs[0]!, { member: 'm2', by: 'm1', at: '2026-01-01T00:00:00Z' }, tf.signer('m1'))).toThrow(/signed by the fleet CA/);
    f.syncAll();
    expect(revokedMembers(f.docs[1]!)).toEqual(new Set(['m3']));
  });

  test('sync messages carry only what the peer lacks', () => {
    const f = new Fleet(2);
    for (let i = 0; i < 50; i++) f.docs[0] = applySpec(f.docs[0]!, 'm1', `fc-${i}`, { podpreset: true });
    f.syncAll();
    const s0 = new PeerSync();
    // A peer that already has everything: one small message each way, no changes in them.
    const msg = s0.outgoing(f.docs[0]!);
    expect(msg).not.toBeNull();
    expect(A.decodeSyncMessage(msg!).changes.length).toBe(0);
  });
});

describe('local edits on a stale materialized copy', () => {
  test('only the fields the local user changed are written', () => {
    let d = applySpec(newFleetDoc(), 'm1', 'gpu', gpu);
    const materialized = structuredClone(gpu); // what member-2's API server shows
    d = applySpec(d, 'm3', 'gpu', { ...gpu, podpreset: false }); // the fleet moved on meanwhile
    d = applyLocalEdit(d, 'm2', 'gpu', materialized, { ...materialized, mode: 'inform' });
    expect(liveConfigs(d).get('gpu')?.spec).toEqual({ ...gpu, podpreset: false, mode: 'inform' });
  });
});

let tf: TestFleet;
beforeAll(async () => {
  tf = await testFleet(['m1', 'm2', 'm3', 'member-1', 'member-2']);
});

describe('fleet document: network coordinates', () => {
  test('each member publishes its own; a malformed entry is skipped; a revoked member\'s goes with compaction', async () => {
    const { writeCoordinate, fleetCoordinates, coordinateKey, newFleetDoc, revokeMember } = await import('../../../decentralized/fleet-doc.js');
    const { compactableKeys } = await import('../../../decentralized/compaction.js');
    const c = { vec: [1, 2, 3, 4, 5, 6, 7, 8], height: 0.5, adjustment: 0, error: 0.2 };
    let doc = newFleetDoc();
    doc = writeCoordinate(doc, { member: 'member-1', coordinate: c, samples: 2, updated: '2026-11-26T00:00:00Z' }, tf.signer('member-1'));
    doc = writeCoordinate(doc, { member: 'member-2', coordinate: { ...c, vec: c.vec.map((x) => -x) }, samples: 1, updated: '2026-11-26T00:00:00Z' }, tf.signer('member-2'));
    doc = A.change(doc, (d) => { d[coordinateKey('member-3')] = new A.ImmutableString('{not json'); });
    const all = fleetCoordinates(doc);
    expect([...all.keys()].sort()).toEqual(['member-1', 'member-2']);
    expect(all.get('member-1')!.coordinate).toEqual(c);
    doc = revokeMember(doc, { member: 'member-2', by: 'operator', at: '2026-11-26T00:00:00Z', reason: 'test' }, tf.caSigner);
    expect(compactableKeys(doc, new Date('2026-11-26T00:00:01Z'))).toContain(coordinateKey('member-2'));
    expect(compactableKeys(doc, new Date('2026-11-26T00:00:01Z'))).not.toContain(coordinateKey('member-1'));
  });
});
