import { beforeAll, describe, expect, test } from '@jest/globals';
import type * as A from '@automerge/automerge';
import type { ClusterCoordinateObject } from '../../../api/cluster-coordinate.js';
import { AgentCoordinates } from '../../../coordinates/agent-coordinates.js';
import { createLogger } from '../../../controller/logger.js';
import { CoordinateSync, departedCoordinates } from '../../../decentralized/coordinate-sync.js';
import { fleetCoordinates, newFleetDoc, revokeMember, writeCoordinate, type FleetDoc } from '../../../decentralized/fleet-doc.js';
import type { KubeClient, KubeObject } from '../../../kube-client/client.js';
import { ms, seeded } from '../../support/vivaldi-simulation.js';
import { testFleet, type TestFleet } from './signers.js';

let tf: TestFleet;
beforeAll(async () => {
  tf = await testFleet(['member-1', 'member-2', 'member-3']);
});

const POLICY = { minIntervalMs: 1000, refreshMs: 60_000, relativeChange: 0.1, absoluteChangeSeconds: 0.0005, errorChange: 0.1 };

function setup() {
  let doc: A.Doc<FleetDoc> = newFleetDoc();
  const written: ClusterCoordinateObject[] = [];
  let fail = false;
  // The member's ClusterCoordinates by name: what the agent wrote, plus what a test puts there (other observers, the host's).
  const live = new Map<string, ClusterCoordinateObject>();
  const deleted: string[] = [];
  const client = {
    apply: async (_p: string, o: KubeObject) => { if (fail) throw new Error('forbidden'); written.push(o as ClusterCoordinateObject); live.set(o.metadata.name, o as ClusterCoordinateObject); return o; },
    list: async (_p: string, opts: { query: { labelSelector: string } }) => {
      const [k, v] = opts.query.labelSelector.split('=');
      return { items: [...live.values()].filter((o) => o.metadata.labels?.[k!] === v) };
    },
    delete: async (p: string) => { const name = p.split('/').pop()!; deleted.push(name); return live.delete(name); },
  } as unknown as KubeClient;
  const coords = new AgentCoordinates(undefined, seeded(1));
  let samples = 0;
  let now = Date.parse('2026-11-26T02:00:00Z');
  const sync = new CoordinateSync({
    member: 'member-1', signer: tf.signer('member-1'), coordinates: coords, doc: () => doc, update: (fn) => { doc = fn(doc); }, samples: () => samples,
    client: () => client, fieldManager: 'fedfeat-agent', policy: POLICY, log: createLogger('error'), now: () => new Date(now),
  });
  return {
    sync, coords, written, live, deleted, doc: () => doc, setDoc: (d: A.Doc<FleetDoc>) => { doc = d; },
    sampled: () => { samples++; }, advance: (n: number) => { now += n; }, failWrites: (f: boolean) => { fail = f; },
  };
}

describe('coordinate sync: own coordinate into the fleet document, every member\'s out as ClusterCoordinate objects', () => {
  test('publishes nothing before a round trip was timed, then its own coordinate, at most as often as the policy says', async () => {
    const s = setup();
    await s.sync.tick();
    expect(fleetCoordinates(s.doc()).size).toBe(0);
    const peer = new AgentCoordinates(undefined, seeded(2));
    for (let i = 0; i < 20; i++) { s.coords.sample('member-2', peer.own(), ms(10)); s.sampled(); }
    await s.sync.tick();
    expect(fleetCoordinates(s.doc()).get('member-1')!.samples).toBe(1);
    const heads = JSON.stringify(s.doc());
    for (let i = 0; i < 20; i++) s.coords.sample('member-2', peer.own(), ms(40)); // it moves a lot, but within minInterval
    await s.sync.tick();
    expect(JSON.stringify(s.doc())).toBe(heads);
    s.advance(1500);
    await s.sync.tick();
    expect(JSON.stringify(s.doc())).not.toBe(heads);
  });

  test('writes one object per fleet member, seen from this member, and retries a failed write next round', async () => {
    const s = setup();
    const peer = new AgentCoordinates(undefined, seeded(2));
    for (let i = 0; i < 20; i++) { s.coords.sample('member-2', peer.own(), ms(10)); s.sampled(); }
    s.setDoc(writeCoordinate(s.doc(), { member: 'member-2', coordinate: { vec: peer.own().vec.map((x) => x * 1000), height: peer.own().height * 1000, adjustment: 0, error: peer.own().error }, samples: 1, updated: 'x' }, tf.signer('member-2')));
    s.failWrites(true);
    await s.sync.tick();
    expect(s.written).toHaveLength(0);
    s.failWrites(false);
    await s.sync.tick();
    const byCluster = new Map(s.written.map((o) => [o.cluster, o]));
    expect([...byCluster.keys()].sort()).toEqual(['member-1', 'member-2']);
    expect(byCluster.get('member-2')).toMatchObject({ source: 'agents', samples: 20, measuredRTTMilliseconds: 10, metadata: { labels: { 'feature.kubefed.io/observer': 'member-1' } } });
    expect(byCluster.get('member-1')).toMatchObject({ measuredRTTMilliseconds: 0, predictedRTTMilliseconds: 0 });
    const n = s.written.length;
    await s.sync.tick(); // nothing moved: nothing written
    expect(s.written).toHaveLength(n);
  });
});

const obj = (cluster: string, source: string, observer?: string) => ({
  apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'ClusterCoordinate',
  metadata: { name: cluster, namespace: 'kube-federation-system', labels: observer ? { 'feature.kubefed.io/observer': observer } : {} },
  cluster, source,
}) as unknown as ClusterCoordinateObject;

describe('departed members: their ClusterCoordinates go', () => {
  test('deletes only this observer\'s agent objects of revoked members and of members without a coordinate', () => {
    const objects = [
      obj('member-1', 'agents', 'member-1'), obj('member-2', 'agents', 'member-1'), obj('member-3', 'agents', 'member-1'),
      obj('member-4', 'agents', 'member-1'), // compacted away: no coordinate in the document
      obj('member-5', 'agents', 'member-2'), // another observer's (copied here by hand): not ours
      obj('member-6', 'host'), // the host's probes
    ];
    const fleet = new Set(['member-1', 'member-2', 'member-3']);
    expect(departedCoordinates('member-1', objects, fleet, new Set(['member-3']))).toEqual(['member-3', 'member-4']);
    expect(departedCoordinates('member-1', objects, new Set([...fleet, 'member-4']), new Set())).toEqual([]);
    expect(departedCoordinates('member-2', objects, fleet, new Set())).toEqual(['member-5']);
  });

  test('tick: a revoked member\'s object is deleted and not written again, nor deleted twice', async () => {
    const s = setup();
    const peer = new AgentCoordinates(undefined, seeded(2));
    for (let i = 0; i < 20; i++) { s.coords.sample('member-2', peer.own(), ms(10)); s.sampled(); }
    const c = { vec: peer.own().vec.map((x) => x * 1000), height: peer.own().height * 1000, adjustment: 0, error: peer.own().error };
    s.setDoc(writeCoordinate(s.doc(), { member: 'member-2', coordinate: c, samples: 1, updated: 'x' }, tf.signer('member-2')));
    s.setDoc(writeCoordinate(s.doc(), { member: 'member-3', coordinate: c, samples: 1, updated: 'x' }, tf.signer('member-3')));
    s.live.set('member-9', obj('member-9', 'agents', 'member-1')); // written before a restart, for a member compacted since
    s.live.set('member-8', obj('member-8', 'host'));
    await s.sync.tick();
    expect([...s.live.keys()].sort()).toEqual(['member-1', 'member-2', 'member-3', 'member-8']);
    expect(s.deleted).toEqual(['member-9']);
    s.setDoc(revokeMember(s.doc(), { member: 'member-3', by: 'operator', at: 'x' }, tf.caSigner));
    s.advance(120_000); // past every refresh: member-3 would be written again if it were not skipped
    await s.sync.tick();
    expect([...s.live.keys()].sort()).toEqual(['member-1', 'member-2', 'member-8']);
    expect(s.deleted).toEqual(['member-9', 'member-3']);
    await s.sync.tick();
    expect(s.deleted).toHaveLength(2);
  });
});
