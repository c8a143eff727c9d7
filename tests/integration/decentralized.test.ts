// Decentralized mode (issue 16) on real API servers: an agent per member of
// the suite federation, no host involved, every member joined with
// `fedfeat join --decentralized` (certificate from the fleet CA, peers,
// access). With member-1's real nodes, member-1's agent is the Deployment
// join applies (fedfeat's locally built image, in-cluster credentials of its
// ServiceAccount only, advertising its pod IP); member-2's and member-3's
// agents run in this process from the Secret and ConfigMap join wrote on
// their members, listening on the address pods reach (the node bridge's
// gateway). Without real nodes all three run here. member-1 is joined with
// enforce access for podpreset, and one test enforces (and reverts) it there
// through member-1's agent; the other FeatureConfigs are inform-mode, so the
// tactics only probe (the suite's other files cover what the tactics change).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CFS_NAMESPACE, cfsPath } from '../../api/cluster-feature-status.js';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, desiredFeatures, type FeatureConfig, type FeatureConfigSpec } from '../../api/featureconfig.js';
import { KUBEFED_NAMESPACE } from '../../api/kubefed.js';
import { parseLabels, parsePeers } from '../../cli/agent-command.js';
import { ccoordPath, type ClusterCoordinateObject } from '../../api/cluster-coordinate.js';
import { fetchFeatureConfigs, renderCoordinates } from '../../cli/status-table.js';
import { createLogger } from '../../controller/logger.js';
import { createFleetCA, issueAgentCert, type AgentCredentials } from '../../decentralized/agent-cert.js';
import { Agent } from '../../decentralized/agent.js';
import { GossipNode } from '../../decentralized/gossip.js';
import { applySpec, configViews, fleetCoordinates, reports, revokedMembers } from '../../decentralized/fleet-doc.js';
import { joinedAgentConfig, joinedAgentCredentials, unjoinAgent } from '../../join/agent-join.js';
import { agentBeforeUnjoin } from '../../join/agent-cleanup.js';
import { AGENT_TLS_SECRET } from '../../join/agent-objects.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { freePort } from '../../local-federation/free-port.js';
import { FEDFEAT_IMAGE } from '../../local-federation/images/build-images.js';
import { repoRoot } from '../../local-federation/repo-root.js';
import { PodPresetReconfigurator, WEBHOOK_URL_ANNOTATION } from '../../reconfigurators/podpreset/reconfigurator.js';
import { adminClient, cluster, eventually, federation, memberContext, realNodeMode } from './federation.js';

const MEMBERS = ['member-1', 'member-2', 'member-3'];
const fcPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name);
const CRDS = ['featureconfigs.feature.kubefed.io', 'clusterfeaturestatuses.feature.kubefed.io', 'clustercoordinates.feature.kubefed.io'];
const crdPath = (n: string) => resourcePath('apiextensions.k8s.io/v1', 'customresourcedefinitions', undefined, n);
const AGENT_PODS = `/api/v1/namespaces/${KUBEFED_NAMESPACE}/pods`;

type Pod = KubeObject & { status?: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> } };
type Ev = KubeObject & { involvedObject: { kind: string; name: string; uid?: string }; reason: string; source?: { component?: string } };

let dir: string;
let caDir: string;
let creds: Map<string, AgentCredentials>;
const clients = new Map<string, KubeClient>();
const agents = new Map<string, Agent>();
const ports = new Map<string, number>();
const existedBefore = new Map<string, { crds: boolean[]; ns: boolean }>();
let partitioned: Set<string> | undefined;
const log = createLogger('warn');
/** member-1's agent is a pod (real nodes), else a process like the others. */
let podMode = false;
/** Where this process's agents listen: the address member-1's pods reach (its bridge's gateway), else loopback. */
let listenHost = '127.0.0.1';
let podIP: string | undefined;

/** As root with member-1's pod agent, the partition is made by the network: iptables drops the gossip packets between the pod and this process's agents. */
const CHAIN = `FF-DEC-${process.pid}`;
const byNetwork = () => podMode && process.getuid?.() === 0;
const iptables = (...a: string[]) => execFileSync('iptables', ['-w', ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
function firewall(on: boolean): void {
  if (!on) {
    for (const chain of ['INPUT', 'OUTPUT']) try { iptables('-D', chain, '-j', CHAIN); } catch { /* not there */ }
    try { iptables('-F', CHAIN); iptables('-X', CHAIN); } catch { /* not there */ }
    return;
  }
  const gossipPorts = [...ports.values()].join(',');
  iptables('-N', CHAIN);
  // Only the gossip ports: the pod still reaches its API server on the same host address. By port from anything
  // but this process's own address, not by the pod's IP: the pod's packets may arrive from its node's address
  // (a node that kept Calico's nat-outgoing rule after an earlier test masquerades them), and this process's
  // agents must still reach each other.
  iptables('-A', CHAIN, '!', '-s', listenHost, '-d', listenHost, '-p', 'tcp', '-m', 'multiport', '--dports', gossipPorts, '-j', 'DROP');
  iptables('-A', CHAIN, '-s', listenHost, '!', '-d', listenHost, '-p', 'tcp', '-m', 'multiport', '--sports', gossipPorts, '-j', 'DROP');
  iptables('-A', CHAIN, '-s', listenHost, '-d', podIP!, '-p', 'tcp', '--dport', '7946', '-j', 'DROP');
  iptables('-A', CHAIN, '-s', podIP!, '-d', listenHost, '-p', 'tcp', '--sport', '7946', '-j', 'DROP');
  iptables('-I', 'INPUT', '-j', CHAIN);
  iptables('-I', 'OUTPUT', '-j', CHAIN);
}

/** Agents on one side of `partitioned` neither dial nor accept the other side. */
const allowPeer = (self: string) => (peer: string) => !partitioned || partitioned.has(self) === partitioned.has(peer);

/** fedfeat's command line (the compiled CLI, as a user runs it) against the federation's kubeconfig; async, so this process's agents keep answering meanwhile. */
async function fedfeat(args: string[]): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, 'bin', 'fedfeat.js'), ...args, '--kubeconfig', join(federation().dir, 'kubeconfig')], { encoding: 'utf8' });
    return stdout;
  } catch (e) {
    const x = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${x.message}\nstdout:\n${x.stdout ?? ''}\nstderr:\n${(x.stderr ?? '').split('\n').filter((l) => !l.startsWith('{')).join('\n')}`);
  }
}

const addr = (m: string) => (m === 'member-1' && podMode ? `${m}=${podIP}:7946` : `${m}=${listenHost}:${ports.get(m)}`);

/** A process agent configured from what join wrote on its member (the Secret and ConfigMap its pod would mount). */
async function startAgent(member: string): Promise<Agent> {
  const c = clients.get(member)!;
  const config = (await joinedAgentConfig(c))!;
  const credentials = await joinedAgentCredentials(c);
  if (!credentials) throw new Error(`join wrote no ${AGENT_TLS_SECRET} Secret on ${member}`);
  creds.set(member, credentials);
  const agent = new Agent({
    member: config.member!, kubeconfig: cluster(member).kubeconfig, credentials: creds.get(member)!,
    listen: { host: listenHost, port: ports.get(member)! }, seeds: parsePeers(config.peers), stateDir: join(dir, member),
    labels: { name: member }, ...(config.annotations ? { annotations: parseLabels(config.annotations) } : {}), resyncMs: 60_000, roundMs: 100, fanout: 2, firstSyncTimeoutMs: 3_000,
    allowPeer: allowPeer(member), log,
    // Coordinates from the gossip links' round trips, published fast enough for a test (defaults: 2 s, 30 s).
    pingEveryMs: 300, coordinatePublish: { minIntervalMs: 1000, refreshMs: 60_000, relativeChange: 0.1, absoluteChangeSeconds: 0.0005, errorChange: 0.1 },
  });
  await agent.start();
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

const agentEvents = async (member: string, name: string) =>
  (await clients.get(member)!.list<Ev>('/api/v1/namespaces/default/events', { query: { fieldSelector: 'source=fedfeat-agent' } })).items
    .filter((e) => e.involvedObject.kind === 'FeatureConfig' && e.involvedObject.name === name);

beforeAll(async () => {
  const fed = federation();
  podMode = !!fed.realNodes?.length && !!fed.realNetwork && realNodeMode() !== 'off';
  if (podMode) listenHost = fed.realNetwork!.hostIP;
  dir = mkdtempSync(join(tmpdir(), 'fedfeat-decentral-'));
  caDir = join(dir, 'fleet-ca');
  creds = new Map();
  for (const m of MEMBERS) {
    const c = await adminClient(m);
    clients.set(m, c);
    existedBefore.set(m, {
      crds: await Promise.all(CRDS.map(async (n) => (await c.getOptional(crdPath(n))) !== undefined)),
      ns: (await c.getOptional(resourcePath('v1', 'namespaces', undefined, CFS_NAMESPACE))) !== undefined,
    });
  }
  for (const m of MEMBERS) if (!(podMode && m === 'member-1')) ports.set(m, await freePort(listenHost));
  // One command per member: certificate, peers, access (and member-1's Deployment when it can run).
  const common = ['--decentralized', '--ca-dir', caDir, '--access', 'inform', '--features', 'podpreset,networkpolicy,cpumanagementpolicy'];
  await fedfeat(['join', 'member-2', '--context', 'member-2', ...common, '--no-deployment', '--peers', addr('member-3')]);
  await fedfeat(['join', 'member-3', '--context', 'member-3', ...common, '--no-deployment', '--peers', addr('member-2')]);
  // member-1 enforces podpreset through its agent: the PodPreset webhook of the local federation runs beside
  // member-1's API server (as in host mode, where the KubeFedCluster's annotation names its URL); the agent
  // learns the URL from join's --annotations, the decentralized counterpart of that annotation.
  const webhookURL = (await memberContext('member-1', clients.get('member-1')!)).annotations[WEBHOOK_URL_ANNOTATION];
  await fedfeat(['join', 'member-1', '--context', 'member-1', '--decentralized', '--ca-dir', caDir, '--access', 'enforce', '--features', 'podpreset',
    '--annotations', `${WEBHOOK_URL_ANNOTATION}=${webhookURL}`, '--peers', `${addr('member-2')},${addr('member-3')}`,
    ...(podMode ? ['--agent-image', FEDFEAT_IMAGE] : ['--no-deployment'])]);
  await startAgent('member-2');
  await startAgent('member-3');
  if (podMode) {
    const started = Date.now();
    const pod = await eventually('member-1\'s agent pod Ready', async () => (await clients.get('member-1')!.list<Pod>(AGENT_PODS, { query: { labelSelector: 'app.kubernetes.io/name=fedfeat-agent' } })).items
      .find((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')), 120_000);
    podIP = pod.status!.podIP;
    process.stderr.write(`member-1's agent pod ${pod.metadata.name} Ready at ${podIP} ${((Date.now() - started) / 1000).toFixed(1)} s after join\n`);
  } else {
    await startAgent('member-1');
  }
}, 240_000);

afterAll(async () => {
  if (byNetwork()) firewall(false);
  await Promise.all([...agents.values()].map((a) => a.stop()));
  // What join wrote (member-3's is gone with its unjoin): the pod stops before the objects below go.
  for (const m of MEMBERS) await unjoinAgent(clients.get(m)!, m);
  if (podMode) {
    await eventually('member-1\'s agent pod gone', async () => (await clients.get('member-1')!.list<Pod>(AGENT_PODS, { query: { labelSelector: 'app.kubernetes.io/name=fedfeat-agent' } })).items.length === 0, 90_000).catch(() => undefined);
  }
  // The enforce test failed before its revert: undo the tactic on member-1 (the suite's next files expect it absent).
  if (await clients.get('member-1')!.getOptional(crdPath('podpresets.settings.k8s.io'))) {
    await new PodPresetReconfigurator().revert(await memberContext('member-1', clients.get('member-1')!)).catch(() => undefined);
  }
  // Leave the members as they were: the objects, their Events, and the CRDs and namespace if the agents created them.
  for (const m of MEMBERS) {
    const c = clients.get(m)!;
    for (const fc of (await c.list<FeatureConfig>(fcPath()).catch(() => ({ items: [] as FeatureConfig[] }))).items) await c.delete(fcPath(fc.metadata.name));
    for (const e of (await c.list<Ev>('/api/v1/namespaces/default/events', { query: { fieldSelector: 'source=fedfeat-agent' } })).items) await c.delete(`/api/v1/namespaces/default/events/${e.metadata.name}`);
    const before = existedBefore.get(m)!;
    for (const [i, n] of CRDS.entries()) if (!before.crds[i]) await c.delete(crdPath(n));
    if (!before.ns) await c.delete(resourcePath('v1', 'namespaces', undefined, CFS_NAMESPACE));
    c.close();
  }
  rmSync(dir, { recursive: true, force: true });
}, 180_000);

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
    // The tactics' Events are Kubernetes Events on each member's own FeatureConfig (member-1's written by its pod, with its ServiceAccount).
    for (const m of MEMBERS) {
      const uid = (await clients.get(m)!.get<FeatureConfig>(fcPath('dec-gpu'))).metadata.uid;
      const events = await eventually(`an agent Event on dec-gpu on ${m}`, async () => {
        const e = await agentEvents(m, 'dec-gpu');
        return e.length ? e : undefined;
      }, 30_000);
      expect(events.every((e) => e.involvedObject.uid === uid)).toBe(true);
      expect(events.map((e) => e.message ?? '').join(' ')).toContain(`cluster=${m}`);
    }
  });

  test('agents learn network coordinates from their gossip round trips: every member shows the fleet\'s', async () => {
    // Each agent times ping/pong on its links; the pong carries the peer's coordinate (Vivaldi, as serf).
    const objs = await eventually('ClusterCoordinates of all three members on member-2, from the agents', async () => {
      const items = (await clients.get('member-2')!.list<ClusterCoordinateObject>(ccoordPath()).catch(() => ({ items: [] as ClusterCoordinateObject[] }))).items;
      const peers = items.filter((o) => o.cluster !== 'member-2');
      return items.length === 3 && items.every((o) => o.source === 'agents') && peers.every((o) => o.samples > 0 && o.measuredRTTMilliseconds > 0) ? items : undefined;
    }, 60_000);
    for (const o of objs) {
      expect(o.metadata.labels?.['feature.kubefed.io/observer']).toBe('member-2');
      expect(o.coordinate.vec).toHaveLength(8);
      expect(Number.isFinite(o.predictedRTTMilliseconds)).toBe(true);
    }
    // The coordinates travel in the fleet document: each agent published its own (member-1's from its pod, when it runs).
    const published = fleetCoordinates(agents.get('member-2')!.gossip.doc);
    expect([...published.keys()].sort()).toEqual(MEMBERS);
    expect(agents.get('member-2')!.gossip.stats.rttSamples).toBeGreaterThan(0);
    expect(renderCoordinates(objs)).toMatch(/from the agents' gossip round trips, seen from member-2/);
    process.stderr.write(`agent coordinates on member-2: ${objs.map((o) => `${o.cluster} measured ${o.measuredRTTMilliseconds} ms, predicted ${o.predictedRTTMilliseconds} ms, error ${o.coordinate.error}`).join('; ')}\n`);
  });

  test('enforce through member-1\'s agent: a podpreset FeatureConfig applied on member-2 is enforced on member-1, and reverted when deleted', async () => {
    const m1 = clients.get('member-1')!;
    const podpresetCRD = crdPath('podpresets.settings.k8s.io');
    const served = async () => (await m1.get<{ groups: Array<{ name: string }> }>('/apis')).groups.some((g) => g.name === 'settings.k8s.io');
    // Nothing of the tactic on member-1 before: what follows is its agent's doing (member-1 has no other agent, and no host controller runs).
    if (await m1.getOptional(podpresetCRD)) throw new Error('the PodPreset API is already installed on member-1 (left by an earlier test file?): this test could not tell the agent\'s work from it');
    const started = Date.now();
    await apply('member-2', 'dec-enforce', { podpreset: true, mode: 'enforce', deletionPolicy: 'Revert', clusterSelector: { matchLabels: { name: 'member-1' } } });
    // The fleet status member-2 shows: member-1 (the only member selected) Supported.
    const view = await eventually('member-1 podpreset Supported, seen on member-2', async () => {
      const [v] = await fetchFeatureConfigs(clients.get('member-2')!, 'dec-enforce').catch(() => []);
      return v?.members.find((r) => r.name === 'member-1')?.features[0]?.state === 'Supported' ? v : undefined;
    }, 60_000);
    expect(view.members.map((r) => r.name)).toEqual(['member-1']);
    expect(view.members[0]!.features[0]).toMatchObject({ name: 'podpreset', reason: 'APIServedAndWebhookAnswering' });
    expect(await served()).toBe(true);
    const events = await eventually('a Ready Event from fedfeat-agent on member-1', async () => {
      const e = (await agentEvents('member-1', 'dec-enforce')).filter((x) => x.reason === 'Ready');
      return e.length ? e : undefined;
    }, 15_000);
    expect(events[0]!.source?.component).toBe('fedfeat-agent');
    expect(events[0]!.message).toContain('cluster=member-1 feature=podpreset');
    const enforcedMs = Date.now() - started;
    // Deleted on member-3: every agent deletes its copy; member-1's reverts the tactic there first (deletionPolicy Revert).
    const deleted = Date.now();
    expect(await clients.get('member-3')!.delete(fcPath('dec-enforce'))).toBe(true);
    await eventually('PodPreset API no longer served on member-1', async () => !(await served()) && !(await m1.getOptional(podpresetCRD)), 60_000);
    await eventually('a Reverted Event from fedfeat-agent on member-1', async () => (await agentEvents('member-1', 'dec-enforce')).some((x) => x.reason === 'Reverted'), 15_000);
    // member-1's report is dropped once reverted: no member reports dec-enforce any more.
    await eventually('member-1\'s report of dec-enforce dropped', async () => !reports(agents.get('member-2')!.gossip.doc).some((r) => r.featureconfig === 'dec-enforce'), 15_000);
    process.stderr.write(`dec-enforce: podpreset Supported on member-1 ${(enforcedMs / 1000).toFixed(1)} s after apply on member-2; reverted ${((Date.now() - deleted) / 1000).toFixed(1)} s after delete on member-3\n`);
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

  test('a fleet spec a member\'s API server refuses is reported and does not hold up the other FeatureConfigs', async () => {
    // Written straight into the document (as an agent with another CRD version could): the CRD here refuses it (minimum 2).
    agents.get('member-2')!.gossip.update((d) => applySpec(d, 'member-2', 'dec-bad', { podpreset: true, mode: 'inform', kubelet: { containerLogMaxFiles: 1 } }));
    await apply('member-3', 'dec-good', { podpreset: true, mode: 'inform' });
    await everywhere('dec-good on every member despite dec-bad', 'dec-good', (s) => s?.podpreset === true);
    for (const m of MEMBERS) expect(await specOn(m, 'dec-bad')).toBeUndefined();
    agents.get('member-2')!.gossip.update((d) => applySpec(d, 'member-2', 'dec-bad', { podpreset: true, mode: 'inform', kubelet: { containerLogMaxFiles: 3 } }));
    await everywhere('dec-bad once the fleet made it valid', 'dec-bad', (s) => s?.kubelet?.containerLogMaxFiles === 3);
    for (const name of ['dec-bad', 'dec-good']) expect(await clients.get('member-2')!.delete(fcPath(name))).toBe(true);
    for (const name of ['dec-bad', 'dec-good']) await everywhere(`${name} deleted everywhere`, name, (s) => s === undefined);
  });

  test('a partition with changes on both sides converges after healing', async () => {
    // By the network: member-1's pod cut off from the other agents by iptables. Otherwise member-3 alone by its agents' peer filter.
    const alone = byNetwork() ? 'member-1' : 'member-3';
    const others = MEMBERS.filter((m) => m !== alone);
    if (byNetwork()) firewall(true);
    else partitioned = new Set([alone]);
    // Over the network, links across are closed once silent for the agents' link timeout (3 s).
    await eventually('no links across the partition', async () =>
      others.every((m) => !agents.get(m)!.gossip.connectedPeers().includes(alone)) && (agents.get(alone)?.gossip.connectedPeers().length ?? 0) === 0, 15_000)
      .catch((e: Error) => {
        const links = others.map((m) => `${m}: ${JSON.stringify(agents.get(m)!.gossip.linkInfo())}`).join('\n');
        throw new Error(`${e.message}\nlinks:\n${links}\niptables:\n${byNetwork() ? execFileSync('iptables', ['-w', '-L', CHAIN, '-n', '-v'], { encoding: 'utf8' }) : '-'}`);
      });
    await apply(alone, 'dec-gpu', { podpreset: true, mode: 'inform', cpumanagementpolicy: 'static', kubelet: { containerLogMaxFiles: 4 } });
    await apply(others[0]!, 'dec-gpu', { podpreset: true, mode: 'inform', cpumanagementpolicy: 'none' });
    await everywhere('the other side has its edit', 'dec-gpu', (s) => s?.cpumanagementpolicy === 'none', others);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await specOn(others[1]!, 'dec-gpu'))?.kubelet).toBeUndefined();
    expect((await specOn(alone, 'dec-gpu'))?.cpumanagementpolicy).toBe('static');
    const healed = Date.now();
    if (byNetwork()) firewall(false);
    partitioned = undefined;
    // Different fields merged; the one field both sides set has one winner, the same on every member.
    await eventually('same spec everywhere', async () => {
      const specs = await Promise.all(MEMBERS.map((m) => specOn(m, 'dec-gpu')));
      return specs.every((s) => JSON.stringify(s) === JSON.stringify(specs[0])) && specs[0]?.kubelet?.containerLogMaxFiles === 4;
    }, 30_000);
    process.stderr.write(`partition (${byNetwork() ? 'iptables' : 'peer filter'}) healed: converged in ${Date.now() - healed} ms\n`);
    // Every member's tactics ran for the merged state: each reports for the merged generation (seen in member-2's document).
    const merged = await eventually('every member reported for the merged spec', async () => {
      const doc = agents.get('member-2')!.gossip.doc;
      const view = configViews(doc).get('dec-gpu');
      const mine = reports(doc).filter((r) => r.featureconfig === 'dec-gpu');
      return view && mine.length === 3 && mine.every((r) => r.generation === view.generation) ? { mine, spec: view.spec } : undefined;
    }, 60_000);
    // What the merged spec asks for (cpumanagementpolicy only if the winner of that field is "static").
    const asked = desiredFeatures(merged.spec).map((f) => f.name).sort();
    expect(asked).toContain('kubelet'); // the lone side's field, merged in
    for (const r of merged.mine) expect(r.features.map((f) => f.name).sort()).toEqual(asked);
  });

  test('an agent with a certificate from another CA is refused and changes nothing', async () => {
    const other = await createFleetCA('intruder');
    const forged = await issueAgentCert(other, 'member-3', { ipAddresses: ['127.0.0.1'] });
    const intruder = new GossipNode({
      member: 'member-3', credentials: forged, listen: { host: listenHost, port: 0 }, roundMs: 100,
      seeds: parsePeers(`${addr('member-1')},${addr('member-2')}`),
    });
    const refused = () => [...agents.entries()].filter(([m]) => m !== 'member-3').reduce((n, [, a]) => n + a.gossip.stats.refused, 0);
    const refusedBefore = refused();
    await intruder.start();
    intruder.update((d) => applySpec(d, 'member-3', 'dec-intruder', { podpreset: true }));
    try {
      await eventually('refused', async () => refused() > refusedBefore, 10_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(intruder.connectedPeers()).toEqual([]);
      for (const m of MEMBERS) expect(await specOn(m, 'dec-intruder')).toBeUndefined();
      expect(await specOn('member-1', 'dec-gpu')).toBeDefined();
    } finally {
      await intruder.stop();
    }
  });

  test('fedfeat unjoin --decentralized member-3: the fleet refuses its certificate, its agent objects are gone', async () => {
    const unjoin3 = ['unjoin', 'member-3', '--context', 'member-3', '--decentralized', '--ca-dir', caDir, '--peers', `${addr('member-1')},${addr('member-2')}`];
    const out = await fedfeat(unjoin3);
    expect(out).toContain('member-3 revoked');
    // member-3's agent runs in this process (join --no-deployment): unjoin cannot stop it, so it touches nothing the agent materialized and says so.
    expect(out).toContain('its agent ran outside the cluster (joined with --no-deployment)');
    expect(await specOn('member-3', 'dec-gpu')).toBeDefined();
    expect(await joinedAgentConfig(clients.get('member-3')!)).toBeUndefined();
    expect(await clients.get('member-3')!.getOptional(resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, AGENT_TLS_SECRET))).toBeUndefined();
    // member-3's agent process still runs with its old certificate: member-2's agent (and member-1's pod) refuse it.
    await eventually('member-3 cut off', async () =>
      revokedMembers(agents.get('member-2')!.gossip.doc).has('member-3') && !agents.get('member-2')!.gossip.connectedPeers().includes('member-3'), 15_000);
    // The ClusterCoordinates the other agents wrote for member-3 on their own members go (only theirs: source agents, their observer label).
    const gone = Date.now();
    for (const m of ['member-2', 'member-1']) {
      await eventually(`member-3's ClusterCoordinate gone from ${m}`, async () => {
        const items = (await clients.get(m)!.list<ClusterCoordinateObject>(ccoordPath())).items;
        return !items.some((o) => o.cluster === 'member-3' && o.source === 'agents' && o.metadata.labels?.['feature.kubefed.io/observer'] === m)
          && items.some((o) => o.cluster === 'member-1'); // the others' stay
      }, 15_000);
    }
    process.stderr.write(`member-3's agent ClusterCoordinates gone from member-2 and member-1 (checked ${Date.now() - gone} ms after member-2 dropped member-3's link)\n`);
    await apply('member-3', 'dec-after-removal', { podpreset: true, mode: 'inform' });
    await new Promise((r) => setTimeout(r, 2000));
    expect(await specOn('member-1', 'dec-after-removal')).toBeUndefined();
    expect(await specOn('member-2', 'dec-after-removal')).toBeUndefined();

    // The agent stopped, unjoin again with --agent-stopped: what it materialized on member-3 goes (the CRDs too,
    // unless they were there before this file), and only there: the fleet keeps its FeatureConfigs.
    await agents.get('member-3')!.stop();
    agents.delete('member-3');
    const crdsBefore = existedBefore.get('member-3')!.crds.some(Boolean);
    const m3 = clients.get('member-3')!;
    const again = await fedfeat([...unjoin3, '--agent-stopped', ...(crdsBefore ? [] : ['--remove-crds'])]);
    expect(again).toContain('member-3: FeatureConfig dec-gpu deleted');
    expect(again).toContain('member-3: FeatureConfig dec-after-removal deleted');
    expect(again).toMatch(/member-3: ClusterFeatureStatus kube-federation-system\/dec-gpu\.member-\d deleted/);
    expect(again).toMatch(/member-3: ClusterCoordinate kube-federation-system\/member-\d deleted/);
    if (!crdsBefore) {
      expect(again).toContain('CustomResourceDefinition featureconfigs.feature.kubefed.io deleted');
      await eventually('the agent\'s CRDs gone from member-3', async () => (await Promise.all(CRDS.map((n) => m3.getOptional(crdPath(n))))).every((x) => x === undefined), 60_000);
    } else {
      expect((await m3.list<FeatureConfig>(fcPath())).items).toEqual([]);
    }
    await new Promise((r) => setTimeout(r, 1500)); // a fleet-wide delete would have reached the others by now
    for (const m of ['member-1', 'member-2']) expect(await specOn(m, 'dec-gpu')).toBeDefined();
    process.stderr.write(`unjoin --agent-stopped on member-3:\n${again}`);
  });

  test('the FeatureConfig status counts the fleet\'s members: one the clusterSelector leaves out is not waited for, a revoked one is not a member', async () => {
    // After the unjoin above the fleet is member-1 and member-2; this FeatureConfig selects member-2 only (labels name=<member>).
    await apply('member-2', 'dec-selected', { podpreset: true, mode: 'inform', clusterSelector: { matchLabels: { name: 'member-2' } } });
    const fc = await eventually('status on member-1: one selected member of the fleet, reported', async () => {
      const f = await clients.get('member-1')!.getOptional<FeatureConfig>(fcPath('dec-selected'));
      return f?.status?.members?.selected === 1 && f.status.conditions?.some((c) => c.type === 'Reported' && c.status === 'True') ? f : undefined;
    }, 60_000);
    expect(fc.status!.members!.reported).toBe(1);
    const reported = fc.status!.conditions!.find((c) => c.type === 'Reported')!;
    // member-1's agent said it is not selected; member-3 is revoked, so no longer counted (its agent still runs, refused).
    expect(reported.message).toMatch(/^1\/1 selected members of the fleet reported for fleet generation \d+; not selected by spec.clusterSelector: member-1$/);
    const { cfsName } = await import('../../api/cluster-feature-status.js'); // (imported here: keeps this test's diff to its own block)
    expect(await clients.get('member-1')!.getOptional(cfsPath(cfsName('dec-selected', 'member-1')))).toBeUndefined();
  });
  test('member-1\'s agent leaves: once it is stopped (its pod gone), what it materialized goes and its enforced tactic is reverted, on member-1 only', async () => {
    const m1 = clients.get('member-1')!;
    await apply('member-2', 'dec-leave', { podpreset: true, mode: 'enforce', deletionPolicy: 'Revert', clusterSelector: { matchLabels: { name: 'member-1' } } });
    await eventually('dec-leave: member-1 podpreset Supported, seen on member-2', async () => {
      const [v] = await fetchFeatureConfigs(clients.get('member-2')!, 'dec-leave').catch(() => []);
      return v?.members.find((r) => r.name === 'member-1')?.features[0]?.state === 'Supported';
    }, 60_000);
    // With member-3 gone the fleet is member-1 and member-2: the revocation goes through member-2's agent, the only
    // other member (a fleet of two can remove one).
    const before = await agentBeforeUnjoin(m1);
    expect(before).toMatchObject({ deployed: podMode, labels: { name: 'member-1' } });
    expect(before.annotations[WEBHOOK_URL_ANNOTATION]).toMatch(/^https:/);
    if (!podMode) {
      await agents.get('member-1')!.stop();
      agents.delete('member-1');
    }
    const started = Date.now();
    const out = await fedfeat(['unjoin', 'member-1', '--context', 'member-1', '--decentralized', '--ca-dir', caDir, '--peers', addr('member-2'), ...(podMode ? [] : ['--agent-stopped'])]);
    expect(out).toContain('member-1 revoked');
    await eventually('member-2 holds the revocation of member-1', async () => revokedMembers(agents.get('member-2')!.gossip.doc).has('member-1'), 15_000);
    expect(out).toContain('member-1: dec-leave/podpreset: Reverted');
    expect(out).toContain('member-1: FeatureConfig dec-leave deleted');
    expect(out).toContain('member-1: FeatureConfig dec-gpu deleted');
    expect(out).toContain('the CRDs featureconfigs.feature.kubefed.io');
    expect(await m1.getOptional(crdPath('podpresets.settings.k8s.io'))).toBeUndefined();
    expect((await m1.list<FeatureConfig>(fcPath())).items).toEqual([]);
    expect((await m1.list(cfsPath())).items).toEqual([]);
    expect((await m1.list(ccoordPath())).items).toEqual([]);
    await new Promise((r) => setTimeout(r, 1500));
    for (const name of ['dec-leave', 'dec-gpu']) expect(await specOn('member-2', name)).toBeDefined();
    process.stderr.write(`member-1's agent objects removed ${((Date.now() - started) / 1000).toFixed(1)} s after unjoin started (pod ${podMode ? 'terminated first' : 'none: a process'}):\n${out}\n`);
    expect(await clients.get('member-2')!.delete(fcPath('dec-leave'))).toBe(true);
  });

});
