// Decentralized mode (issue 16) on real API servers: an agent per member of
// the suite federation (in this process, each with its own member's
// kubeconfig, listening on loopback), no host involved. FeatureConfigs here
// are inform-mode, so the tactics only probe; the suite's other files cover
// what the tactics change.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CFS_NAMESPACE, cfsPath } from '../../api/cluster-feature-status.js';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, type FeatureConfig, type FeatureConfigSpec } from '../../api/featureconfig.js';
import { fetchFeatureConfigs } from '../../cli/status-table.js';
import { createLogger } from '../../controller/logger.js';
import { createFleetCA, issueAgentCert, type AgentCredentials } from '../../decentralized/agent-cert.js';
import { Agent } from '../../decentralized/agent.js';
import { GossipNode } from '../../decentralized/gossip.js';
import { applySpec, revokedMembers } from '../../decentralized/fleet-doc.js';
import { revokeThroughPeers } from '../../decentralized/revoke.js';
import type { KubeClient } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { adminClient, cluster, eventually, federation } from './federation.js';

const MEMBERS = ['member-1', 'member-2', 'member-3'];
const fcPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name);
const CRDS = ['featureconfigs.feature.kubefed.io', 'clusterfeaturestatuses.feature.kubefed.io'];
const crdPath = (n: string) => resourcePath('apiextensions.k8s.io/v1', 'customresourcedefinitions', undefined, n);

let dir: string;
let creds: Map<string, AgentCredentials>;
const clients = new Map<string, KubeClient>();
const agents = new Map<string, Agent>();
const ports = new Map<string, number>();
const existedBefore = new Map<string, { crds: boolean[]; ns: boolean }>();
let partitioned: Set<string> | undefined;
const log = createLogger('warn');

/** Agents on one side of `partitioned` neither dial nor accept the other side. */
const allowPeer = (self: string) => (peer: string) => !partitioned || partitioned.has(self) === partitioned.has(peer);

async function startAgent(member: string): Promise<Agent> {
  const seeds = MEMBERS.filter((m) => m !== member && ports.has(m)).map((m) => ({ member: m, host: '127.0.0.1', port: ports.get(m)! }));
  const agent = new Agent({
    member, kubeconfig: cluster(member).kubeconfig, credentials: creds.get(member)!,
    listen: { host: '127.0.0.1', port: ports.get(member) ?? 0 }, seeds, stateDir: join(dir, member),
    labels: { name: member }, resyncMs: 60_000, roundMs: 100, fanout: 2, firstSyncTimeoutMs: 3_000,
    allowPeer: allowPeer(member), log,
  });
  await agent.start();
  ports.set(member, agent.gossip.port);
  agents.set(member, agent);
  return agent;
}

async function specOn(member: string, name: string): Promise<FeatureConfigSpec | undefined> {
  const fc = await clients.get(member)!.getOptional<FeatureConfig>(fcPath(name));
  return fc?.spec;
}

const everywhere = (what: string, name: string, ok: (s: FeatureConfigSpec | undefined) => boolean, members = MEMBERS) =>
  eventually(what, async () => (await Promise.all(members.map((m) => specOn(m, name)))).every(ok), 30_000);

const apply = (member: string, name: string, spec: FeatureConfigSpec) =>
  clients.get(member)!.apply(fcPath(name), { apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', metadata: { name }, spec } as FeatureConfig, 'kubectl-test');

beforeAll(async () => {
  federation();
  dir = mkdtempSync(join(tmpdir(), 'fedfeat-decentral-'));
  const ca = await createFleetCA('it');
  creds = new Map();
  for (const m of MEMBERS) {
    creds.set(m, await issueAgentCert(ca, m, { ipAddresses: ['127.0.0.1'] }));
    const c = await adminClient(m);
    clients.set(m, c);
    existedBefore.set(m, {
      crds: await Promise.all(CRDS.map(async (n) => (await c.getOptional(crdPath(n))) !== undefined)),
      ns: (await c.getOptional(resourcePath('v1', 'namespaces', undefined, CFS_NAMESPACE))) !== undefined,
    });
  }
  // member-1 first (the others are given its address; the rest they learn from the document).
  for (const m of MEMBERS) await startAgent(m);
});

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.stop()));
  // Leave the members as they were: the objects, and the CRDs and namespace if the agents created them.
  for (const m of MEMBERS) {
    const c = clients.get(m)!;
    for (const fc of (await c.list<FeatureConfig>(fcPath()).catch(() => ({ items: [] as FeatureConfig[] }))).items) await c.delete(fcPath(fc.metadata.name));
    const before = existedBefore.get(m)!;
    for (const [i, n] of CRDS.entries()) if (!before.crds[i]) await c.delete(crdPath(n));
    if (!before.ns) await c.delete(resourcePath('v1', 'namespaces', undefined, CFS_NAMESPACE));
    c.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('decentralized mode: agents on every member, no host', () => {
  test('a FeatureConfig applied on member-2 converges on every member, and every member shows the fleet status', async () => {
    const spec: FeatureConfigSpec = { podpreset: true, mode: 'inform' };
    const started = Date.now();
    await apply('member-2', 'dec-gpu', spec);
    await everywhere('dec-gpu on every member', 'dec-gpu', (s) => s?.podpreset === true && s.mode === 'inform');
    process.stderr.write(`dec-gpu on 3 members after ${Date.now() - started} ms\n`);
    // Every agent probed its own member (inform mode) and reported it; member-3 shows all three.
    const view = await eventually('three members reported on member-3', async () => {
      const [v] = await fetchFeatureConfigs(clients.get('member-3')!, 'dec-gpu');
      return v && v.members.length === 3 && v.members.every((r) => r.features.length === 1) ? v : undefined;
    }, 60_000);
    expect(view.members.map((r) => r.name)).toEqual(MEMBERS);
    expect(view.members.every((r) => r.features[0]!.name === 'podpreset' && r.features[0]!.state !== 'Unknown')).toBe(true);
    // The FeatureConfig's own status on member-1, aggregated by its agent from the fleet's reports.
    await eventually('status on member-1 counts three members', async () => {
      const fc = await clients.get('member-1')!.get<FeatureConfig>(fcPath('dec-gpu'));
      return fc.status?.members?.reported === 3 && fc.status.observedGeneration === fc.metadata.generation;
    }, 30_000);
  });

  test('a stopped agent catches up after restart: an edit and a delete made meanwhile', async () => {
    await apply('member-1', 'dec-net', { networkpolicy: true, mode: 'inform' });
    await everywhere('dec-net everywhere', 'dec-net', (s) => s?.networkpolicy === true);
    await agents.get('member-3')!.stop();
    agents.delete('member-3');
    await apply('member-1', 'dec-gpu', { podpreset: true, mode: 'inform', cpumanagementpolicy: 'static' });
    expect(await clients.get('member-2')!.delete(fcPath('dec-net'))).toBe(true);
    await everywhere('edit and delete on member-1 and member-2', 'dec-gpu', (s) => s?.cpumanagementpolicy === 'static', ['member-1', 'member-2']);
    await everywhere('dec-net gone on member-1', 'dec-net', (s) => s === undefined, ['member-1']);
    expect(await specOn('member-3', 'dec-net')).toBeDefined(); // stale while its agent is down
    await startAgent('member-3');
    await everywhere('member-3 caught up on the edit', 'dec-gpu', (s) => s?.cpumanagementpolicy === 'static', ['member-3']);
    await everywhere('member-3 caught up on the delete', 'dec-net', (s) => s === undefined, ['member-3']);
  });

  test('a partition with changes on both sides converges after healing', async () => {
    partitioned = new Set(['member-1']);
    await eventually('no links across the partition', async () =>
      agents.get('member-1')!.gossip.connectedPeers().length === 0 &&
      ['member-2', 'member-3'].every((m) => !agents.get(m)!.gossip.connectedPeers().includes('member-1')), 10_000);
    await apply('member-1', 'dec-gpu', { podpreset: true, mode: 'inform', cpumanagementpolicy: 'static', kubelet: { containerLogMaxFiles: 4 } });
    await apply('member-3', 'dec-gpu', { podpreset: true, mode: 'inform', cpumanagementpolicy: 'none' });
    await everywhere('member-3\'s side has its edit', 'dec-gpu', (s) => s?.cpumanagementpolicy === 'none', ['member-2', 'member-3']);
    expect((await specOn('member-2', 'dec-gpu'))?.kubelet).toBeUndefined();
    expect((await specOn('member-1', 'dec-gpu'))?.cpumanagementpolicy).toBe('static');
    const healed = Date.now();
    partitioned = undefined;
    // Different fields merged; the one field both sides set has one winner, the same on every member.
    await eventually('same spec everywhere', async () => {
      const specs = await Promise.all(MEMBERS.map((m) => specOn(m, 'dec-gpu')));
      return specs.every((s) => JSON.stringify(s) === JSON.stringify(specs[0])) && specs[0]?.kubelet?.containerLogMaxFiles === 4;
    }, 30_000);
    process.stderr.write(`partition healed: converged in ${Date.now() - healed} ms\n`);
  });

  test('an agent with a certificate from another CA is refused and changes nothing', async () => {
    const other = await createFleetCA('intruder');
    const forged = await issueAgentCert(other, 'member-3', { ipAddresses: ['127.0.0.1'] });
    const intruder = new GossipNode({
      member: 'member-3', credentials: forged, listen: { host: '127.0.0.1', port: 0 }, roundMs: 100,
      seeds: ['member-1', 'member-2'].map((m) => ({ member: m, host: '127.0.0.1', port: ports.get(m)! })),
    });
    const refusedBefore = agents.get('member-1')!.gossip.stats.refused + agents.get('member-2')!.gossip.stats.refused;
    await intruder.start();
    intruder.update((d) => applySpec(d, 'member-3', 'dec-intruder', { podpreset: true }));
    try {
      await eventually('refused', async () => agents.get('member-1')!.gossip.stats.refused + agents.get('member-2')!.gossip.stats.refused > refusedBefore, 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(intruder.connectedPeers()).toEqual([]);
      for (const m of MEMBERS) expect(await specOn(m, 'dec-intruder')).toBeUndefined();
      expect(await specOn('member-1', 'dec-gpu')).toBeDefined();
    } finally {
      await intruder.stop();
    }
  });

  test('a removed member (revoked by member-1) is refused by every other agent', async () => {
    const revoked = await revokeThroughPeers({
      as: 'member-1', member: 'member-3', credentials: creds.get('member-1')!,
      peers: ['member-1', 'member-2'].map((m) => ({ member: m, host: '127.0.0.1', port: ports.get(m)! })),
    });
    expect(revoked).toEqual(['member-3']);
    await eventually('member-3 cut off', async () =>
      ['member-1', 'member-2'].every((m) => revokedMembers(agents.get(m)!.gossip.doc).has('member-3') && !agents.get(m)!.gossip.connectedPeers().includes('member-3')), 15_000);
    await apply('member-3', 'dec-after-removal', { podpreset: true, mode: 'inform' });
    await new Promise((r) => setTimeout(r, 2000));
    expect(await specOn('member-1', 'dec-after-removal')).toBeUndefined();
    expect(await specOn('member-2', 'dec-after-removal')).toBeUndefined();
  });
});
