import { beforeAll, describe, expect, test } from '@jest/globals';
import type * as A from '@automerge/automerge';
import type { ClusterCoordinateObject } from '../../../api/cluster-coordinate.js';
import { AgentCoordinates } from '../../../coordinates/agent-coordinates.js';
import { createLogger } from '../../../controller/logger.js';
import { CoordinateSync } from '../../../decentralized/coordinate-sync.js';
import { fleetCoordinates, newFleetDoc, writeCoordinate, type FleetDoc } from '../../../decentralized/fleet-doc.js';
import type { KubeClient, KubeObject } from '../../../kube-client/client.js';
import { ms, seeded } from '../../support/vivaldi-simulation.js';
import { testFleet, type TestFleet } from './signers.js';

let tf: TestFleet;
beforeAll(async () => {
  tf = await testFleet(['member-1', 'member-2']);
});

const POLICY = { minIntervalMs: 1000, refreshMs: 60_000, relativeChange: 0.1, absoluteChangeSeconds: 0.0005, errorChange: 0.1 };

function setup() {
  let doc: A.Doc<FleetDoc> = newFleetDoc();
  const written: ClusterCoordinateObject[] = [];
  let fail = false;
  const client = { apply: async (_p: string, o: KubeObject) => { if (fail) throw new Error('forbidden'); written.push(o as ClusterCoordinateObject); return o; } } as unknown as KubeClient;
  const coords = new AgentCoordinates(undefined, seeded(1));
  let samples = 0;
  let now = Date.parse('2026-11-26T02:00:00Z');
  const sync = new CoordinateSync({
    member: 'member-1', signer: tf.signer('member-1'), coordinates: coords, doc: () => doc, update: (fn) => { doc = fn(doc); }, samples: () => samples,
    client: () => client, fieldManager: 'fedfeat-agent', policy: POLICY, log: createLogger('error'), now: () => new Date(now),
  });
  return {
    sync, coords, written, doc: () => doc, setDoc: (d: A.Doc<FleetDoc>) => { doc = d; },
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
