// History truncation (epochs, decentralized/epochs.ts) with real agents on
// real API servers: three agents (processes in this test, tactics off: they
// replicate and report only) with a low epoch threshold move to a new epoch
// together, keep materializing FeatureConfigs, save the epoch with their
// document, and one restarted from its saved document catches up on what it
// missed. The default threshold (5,000 changes) is never reached by the
// other integration tests.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import { CFS_NAMESPACE } from '../../api/cluster-feature-status.js';
import { ccoordPath } from '../../api/cluster-coordinate.js';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, type FeatureConfig, type FeatureConfigSpec } from '../../api/featureconfig.js';
import { createLogger } from '../../controller/logger.js';
import { createFleetCA, issueAgentCert, type AgentCredentials } from '../../decentralized/agent-cert.js';
import { Agent } from '../../decentralized/agent.js';
import { epochOf } from '../../decentralized/epochs.js';
import { applySpec, type FleetDoc } from '../../decentralized/fleet-doc.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { freePort } from '../../local-federation/free-port.js';
import { adminClient, cluster, eventually } from './federation.js';

const MEMBERS = ['member-1', 'member-2', 'member-3'];
const fcPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name);
const CRDS = ['featureconfigs.feature.kubefed.io', 'clusterfeaturestatuses.feature.kubefed.io', 'clustercoordinates.feature.kubefed.io'];
const crdPath = (n: string) => resourcePath('apiextensions.k8s.io/v1', 'customresourcedefinitions', undefined, n);

let dir: string;
const creds = new Map<string, AgentCredentials>();
const clients = new Map<string, KubeClient>();
const ports = new Map<string, number>();
const agents = new Map<string, Agent>();
const existedBefore = new Map<string, { crds: boolean[]; ns: boolean; fcs: Set<string> }>();
const log = createLogger('warn');

async function startAgent(member: string): Promise<Agent> {
  const agent = new Agent({
    member, kubeconfig: cluster(member).kubeconfig, credentials: creds.get(member)!, listen: { host: '127.0.0.1', port: ports.get(member)! },
    seeds: MEMBERS.filter((m) => m !== member).map((m) => ({ member: m, host: '127.0.0.1', port: ports.get(m)! })),
    stateDir: join(dir, member), tactics: false, roundMs: 100, fanout: 2, firstSyncTimeoutMs: 3_000, log,
    epochs: { maxChanges: 60, graceMs: 0, checkEveryMs: 200 },
  });
  await agent.start();
  agents.set(member, agent);
  return agent;
}

const specOn = async (member: string, name: string) => (await clients.get(member)!.getOptional<FeatureConfig>(fcPath(name)))?.spec;
const everywhere = (what: string, name: string, ok: (s: FeatureConfigSpec | undefined) => boolean) =>
  eventually(what, async () => (await Promise.all(MEMBERS.map((m) => specOn(m, name)))).every(ok), 30_000);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fedfeat-epochs-'));
  const ca = await createFleetCA('epochs-test');
  for (const m of MEMBERS) {
    creds.set(m, await issueAgentCert(ca, m, { ipAddresses: ['127.0.0.1'] }));
    ports.set(m, await freePort('127.0.0.1'));
    const c = await adminClient(m);
    clients.set(m, c);
    const crds = await Promise.all(CRDS.map(async (n) => (await c.getOptional(crdPath(n))) !== undefined));
    const fcs = crds[0] ? new Set((await c.list<FeatureConfig>(fcPath())).items.map((f) => f.metadata.name)) : new Set<string>();
    existedBefore.set(m, { crds, ns: (await c.getOptional(resourcePath('v1', 'namespaces', undefined, CFS_NAMESPACE))) !== undefined, fcs });
  }
  await Promise.all(MEMBERS.map((m) => startAgent(m)));
});

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.stop()));
  // Leave the members as they were: this test's FeatureConfigs and coordinates, and the CRDs and namespace if the agents created them.
  for (const m of MEMBERS) {
    const c = clients.get(m);
    if (!c) continue;
    const before = existedBefore.get(m)!;
    for (const fc of (await c.list<FeatureConfig>(fcPath()).catch(() => ({ items: [] as FeatureConfig[] }))).items) {
      if (!before.fcs.has(fc.metadata.name)) await c.delete(fcPath(fc.metadata.name));
    }
    for (const o of (await c.list<KubeObject>(ccoordPath(), { query: { labelSelector: 'feature.kubefed.io/observer' } }).catch(() => ({ items: [] as KubeObject[] }))).items) {
      await c.delete(ccoordPath(o.metadata.name));
    }
    for (const [i, n] of CRDS.entries()) if (!before.crds[i]) await c.delete(crdPath(n));
    if (!before.ns) await c.delete(resourcePath('v1', 'namespaces', undefined, CFS_NAMESPACE));
    c.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('decentralized mode: history truncation by epochs', () => {
  test('over the threshold the agents move to epoch 1 together, keep materializing, and a restarted agent catches up from its saved epoch', async () => {
    const a2 = agents.get('member-2')!;
    // 70 edits of one FeatureConfig made through member-2's agent (as its watch would turn kubectl edits into changes).
    for (let i = 1; i <= 70; i++) a2.gossip.update((d) => applySpec(d, 'member-2', 'epoch-fc', { podpreset: true, kubelet: { containerLogMaxFiles: i } }));
    await eventually('every agent at epoch 1', async () => MEMBERS.every((m) => epochOf(agents.get(m)!.gossip.doc).n === 1), 60_000);
    const e = epochOf(a2.gossip.doc);
    for (const m of MEMBERS) expect(epochOf(agents.get(m)!.gossip.doc)).toEqual(e);
    expect(A.getAllChanges(a2.gossip.doc).length).toBeLessThan(20);
    await everywhere('epoch-fc materialized with the last edit', 'epoch-fc', (s) => s?.kubelet?.containerLogMaxFiles === 70);

    // member-3's agent stops; its saved document holds epoch 1.
    await agents.get('member-3')!.stop();
    agents.delete('member-3');
    const saved = A.load<FleetDoc>(new Uint8Array(readFileSync(join(dir, 'member-3', 'fleet.automerge'))));
    expect(epochOf(saved)).toEqual(e);
    // Meanwhile a FeatureConfig applied with kubectl on member-1 (after the cut, in epoch 1).
    await clients.get('member-1')!.apply(fcPath('after-epoch'), { apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', metadata: { name: 'after-epoch' }, spec: { networkpolicy: true } } as FeatureConfig, 'kubectl-test');
    await eventually('after-epoch on member-2', async () => (await specOn('member-2', 'after-epoch')) !== undefined, 30_000);
    await startAgent('member-3');
    await everywhere('after-epoch on every member, member-3 included', 'after-epoch', (s) => s?.networkpolicy === true);
    expect(epochOf(agents.get('member-3')!.gossip.doc).n).toBeGreaterThanOrEqual(1);
    expect(await specOn('member-3', 'epoch-fc')).toMatchObject({ podpreset: true, kubelet: { containerLogMaxFiles: 70 } }); // plus the API server's defaults
  }, 150_000);
});
