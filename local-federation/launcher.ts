// `fedfeat dev up|down`: a local federation of real Kubernetes processes.
// One etcd; a host kube-apiserver; N member control planes (apiserver,
// controller-manager, scheduler, KWOK with fake nodes), each member registered
// on the host as a KubeFedCluster; optionally real nodes in member-1 (each
// containerd + kubelet + kube-proxy in its own network namespace).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { KubeClient, KubeApiError } from '../kube-client/client.js';
import { KUBEFED_NAMESPACE } from '../api/kubefed.js';
import { binary, ensureBinaries } from './binaries.js';
import { ensureInotifyInstances } from './real-node/inotify.js';
import { calicoManifestPath, CALICO_VERSION, ensureCalicoBinaries } from './calico-build.js';
import { CALICO_IMAGE_REGISTRY, calicoImage, calicoImagesUnavailableReason } from './images/calico-images.js';
import {
  apiServerArgs, CLUSTER_CIDR, clusterPaths, controllerManagerArgs, createClusterPki, etcdArgs, kubeadmConfig, kwokArgs, launch, schedulerArgs,
  waitApiServerReady, waitHealthy, writeAdminKubeconfig, type ClusterPki,
} from './control-plane.js';
import { freePort } from './free-port.js';
import { renderMergedKubeconfig } from './kubeconfig.js';
import { kwokNode, kwokNodeName } from './kwok-nodes.js';
import { formatNodeSizes, nodeSizeOf, type NodeSize } from './node-sizes.js';
import { isRunning, logTail, processStartTime, stopProcess, type ProcessRecord } from './processes.js';
import { waitFor } from '../kube-client/wait.js';
import { Progress } from './progress.js';
import { rssKiB } from './proc-stats.js';
import { readPem } from './pki.js';
import { NODE_AGENT_IMAGE } from './images/build-images.js';
import { createNetwork, deleteNamespace, freeSubnetIndex, hostNodePlan, MAX_REAL_NODES, planNetwork } from './real-node/network.js';
import {
  buildRealNodeImages, plannedRealNodes, realNetworkState, realNodeMemory, realNodeUnavailableReason, removeRealNetwork, startRealNodes, teardownRealNodes,
} from './real-node/real-node.js';
import { ensureKubeFedCrd, ensureNamespace, joinMember } from './registration.js';
import { repoRoot } from './repo-root.js';
import { instanceDir, readState, stateFile, writeState, type ClusterState, type FederationState } from './state.js';
import { sleep } from '../kube-client/wait.js';

export interface UpOptions {
  instance: string;
  members: number;
  nodesPerMember: number;
  /** Per-member KWOK node size (local-federation/node-sizes.ts); members not named keep the default. */
  nodeSizes?: Record<string, NodeSize>;
  realNode: 'auto' | 'on' | 'off';
  /** How many real nodes member-1 gets when it has them (default DEFAULT_REAL_NODES). */
  realNodes?: number;
  /**
   * A real node in the host cluster too (with a scheduler), so the controller's Deployment can run there
   * (`kubectl apply -k local-federation/in-cluster`). Default true; only where the real nodes run.
   */
  hostNode?: boolean;
  /** Leave processes running after a failed `up`, for debugging. */
  keepOnFailure?: boolean;
  quiet?: boolean;
}

export class FederationAlreadyRunning extends Error {}

export const MAX_MEMBERS = 40;
export const MAX_NODES_PER_MEMBER = 5000;
/** Three nodes show what one node cannot: a rollout one node at a time, pods on other nodes behind one Service. */
export const DEFAULT_REAL_NODES = 3;

export function validateUpOptions(o: UpOptions): void {
  if (!Number.isInteger(o.members) || o.members < 1 || o.members > MAX_MEMBERS) {
    throw new Error(`--members must be a whole number from 1 to ${MAX_MEMBERS} (got ${o.members})`);
  }
  if (!Number.isInteger(o.nodesPerMember) || o.nodesPerMember < 0 || o.nodesPerMember > MAX_NODES_PER_MEMBER) {
    throw new Error(`--nodes must be a whole number from 0 to ${MAX_NODES_PER_MEMBER} (got ${o.nodesPerMember})`);
  }
  if (!['auto', 'on', 'off'].includes(o.realNode)) throw new Error(`--real-node must be auto, on or off (got ${o.realNode})`);
  const k = o.realNodes ?? DEFAULT_REAL_NODES;
  if (!Number.isInteger(k) || k < 1 || k > MAX_REAL_NODES) throw new Error(`--real-nodes must be a whole number from 1 to ${MAX_REAL_NODES} (got ${o.realNodes})`);
}

export const memberName = (i: number) => `member-${i}`;

function kubernetesVersion(): string {
  const env = readFileSync(path.join(repoRoot, 'kube-binaries', 'versions.env'), 'utf8');
  return /^K8S_VERSION=(\S+)/m.exec(env)?.[1] ?? 'v0.0.0';
}

/** One `up` or `down` at a time per instance: an exclusive lock file naming its holder. */
export function acquireLock(dir: string): () => void {
  const file = path.join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid) }));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = JSON.parse(readFileSync(file, 'utf8') || '{}') as { pid?: number; startTime?: string };
      if (holder.pid && holder.startTime && isRunning({ pid: holder.pid, startTime: holder.startTime })) {
        throw new FederationAlreadyRunning(`another fedfeat command (pid ${holder.pid}) is working on ${dir}; wait for it to finish`);
      }
      unlinkSync(file); // holder died; the lock is stale
    }
  }
  throw new Error(`could not lock ${dir}`);
}

/** Resident memory of the federation's processes, in MiB (shared pages counted per process). */
export function memoryMiB(processes: ProcessRecord[]): number {
  return Math.round(processes.filter(isRunning).reduce((kb, p) => kb + rssKiB(p.pid), 0) / 1024);
}

export async function up(opts: UpOptions): Promise<FederationState> {
  validateUpOptions(opts);
  const progress = new Progress(opts.quiet);
  const dir = instanceDir(opts.instance);
  mkdirSync(dir, { recursive: true });
  const release = acquireLock(dir);
  try {
    const existing = readState(dir);
    if (existing) {
      const alive = existing.processes.filter(isRunning);
      if (alive.length) {
        throw new FederationAlreadyRunning(
          `local federation "${opts.instance}" is already running (${alive.length} processes, started ${existing.startedAt}, ` +
            `${existing.clusters.length - 1} members); use it, or run "fedfeat dev down --name ${opts.instance}" first`,
        );
      }
      progress.step(`found a stopped federation "${opts.instance}" with leftovers; cleaning it first`);
      await teardown(existing, progress);
    }
    for (const sub of ['clusters', 'etcd', 'logs', 'real-node']) rmSync(path.join(dir, sub), { recursive: true, force: true });

    const binDir = ensureBinaries();
    const state: FederationState = {
      instance: opts.instance, dir, startedAt: new Date().toISOString(), phase: 'starting',
      clusters: [], processes: [], binDir,
    };
    writeState(state);
    try {
      await bringUp(state, opts, progress);
      return state;
    } catch (e) {
      if (opts.keepOnFailure) {
        progress.step(`up failed; processes kept running for debugging (logs in ${path.join(dir, 'logs')})`);
      } else {
        progress.step(`up failed; stopping what was started (logs kept in ${path.join(dir, 'logs')})`);
        await teardown(state, progress);
      }
      throw e;
    }
  } finally {
    release();
  }
}

async function bringUp(state: FederationState, opts: UpOptions, progress: Progress): Promise<void> {
  const logDir = path.join(state.dir, 'logs');
  const record = (p: ProcessRecord) => {
    state.processes.push(p);
    writeState(state);
  };
  const version = kubernetesVersion();
  progress.step(`starting local federation "${opts.instance}": host + ${opts.members} members × ${opts.nodesPerMember} KWOK nodes${opts.nodeSizes && Object.keys(opts.nodeSizes).length ? ` sized ${formatNodeSizes(opts.nodeSizes)}` : ''} (Kubernetes ${version})`);

  // etcd, shared by every API server under its own prefix.
  const [etcdPort, etcdPeer] = [await freePort(), await freePort()];
  const etcd = launch('etcd', [binary(state.binDir, 'etcd'), ...etcdArgs(path.join(state.dir, 'etcd'), etcdPort, etcdPeer)], logDir);
  record(etcd);
  state.etcd = { endpoint: `http://127.0.0.1:${etcdPort}` };
  await waitHealthy(etcd, `${state.etcd.endpoint}/health`, 30_000);
  progress.step(`etcd ready on 127.0.0.1:${etcdPort}`);

  // The real nodes' network first: their member's API server must listen where the kubelets can reach it.
  let network: ReturnType<typeof planNetwork> | undefined;
  let calicoBinDir: string | undefined;
  const skip = opts.realNode === 'off' ? 'disabled with --real-node off' : realNodeUnavailableReason();
  if (skip) {
    if (opts.realNode === 'on') throw new Error(`the real node cannot run here: ${skip}`);
    state.realNodeSkipped = skip;
    progress.step(`real nodes skipped: ${skip}`);
  } else {
    network = planNetwork(opts.instance, freeSubnetIndex(), opts.realNodes ?? DEFAULT_REAL_NODES, { hostNode: opts.hostNode ?? true });
    const first = memberName(1);
    // Recorded before anything is made, so a failed `up` or a later `down` removes a half-made network.
    state.realNetwork = realNetworkState(first, network);
    state.realNodes = plannedRealNodes(opts.instance, state.dir, first, network);
    if (network.hostNode) state.hostNode = plannedRealNodes(opts.instance, state.dir, 'host', hostNodePlan(network))[0];
    writeState(state);
    const inotify = ensureInotifyInstances();
    if (inotify) progress.step(inotify);
    createNetwork(network);
    // Calico from its source for the real nodes (cached after the first build, which takes minutes).
    if (process.env.FEDFEAT_CALICO !== 'off') {
      const why = calicoImagesUnavailableReason();
      if (why) progress.step(`Calico images skipped: ${why}`);
      else {
        progress.step(`Calico ${CALICO_VERSION}: building from source (cached in ~/.cache/fedfeat; minutes the first time)`);
        calicoBinDir = ensureCalicoBinaries();
        state.calico = {
          version: CALICO_VERSION, manifest: calicoManifestPath(calicoBinDir), imageRegistry: CALICO_IMAGE_REGISTRY,
          images: (['node', 'cni', 'kube-controllers'] as const).map(calicoImage),
        };
      }
    }
    progress.step(`real node network: bridge ${network.bridge} (${network.subnet}, host ${network.hostIP}), nodes ${network.nodes.map((n) => n.nodeIP).join(', ')}` +
      (network.hostNode ? `, host cluster's node ${network.hostNode.nodeIP}` : ''));
  }

  // PKI for every cluster, then all API servers at once (the CPU, not the order, bounds their start).
  const names = ['host', ...Array.from({ length: opts.members }, (_, i) => memberName(i + 1))];
  const plans = await Promise.all(names.map(async (name) => {
    // With real nodes, every API server listens on the node subnet's gateway address (like a control plane on
    // the VPC): the kubelets reach theirs there, and so do pods (the in-cluster controller reaches every member).
    // The KubeFedClusters name this address, which works from host processes and from pods alike.
    const bindAddress = network ? network.hostIP : '127.0.0.1';
    const port = await freePort();
    const paths = clusterPaths(state.dir, name);
    const pki = await createClusterPki(paths, name, bindAddress);
    const server = `https://${bindAddress}:${port}`;
    writeAdminKubeconfig(paths, name, server, pki);
    return { name, bindAddress, port, paths, pki, server };
  }));
  progress.step(`certificates issued for ${names.length} clusters`);

  const apiservers = plans.map((p) => launch(`${p.name}/kube-apiserver`, [binary(state.binDir, 'kube-apiserver'), ...apiServerArgs({
    name: p.name, bindAddress: p.bindAddress, port: p.port, etcdEndpoint: state.etcd!.endpoint,
    etcdPrefix: `/fedfeat/${p.name}/registry`, pki: p.pki,
  })], logDir));
  apiservers.forEach(record);
  const clients = new Map<string, KubeClient>();
  try {
    await Promise.all(plans.map(async (p, i) => {
      const client = await KubeClient.fromKubeConfig(p.paths.adminKubeconfig);
      clients.set(p.name, client);
      await waitApiServerReady(apiservers[i]!, client, 180_000);
      progress.step(`${p.name}: kube-apiserver ready at ${p.server}`);
    }));
    for (const p of plans) {
      state.clusters.push({
        name: p.name, role: p.name === 'host' ? 'host' : 'member', server: p.server, kubeconfig: p.paths.adminKubeconfig,
        etcdPrefix: `/fedfeat/${p.name}/registry`, caCert: p.pki.ca.cert, kwokNodes: [],
      } satisfies ClusterState);
    }
    writeState(state);
    writeFileSync(path.join(state.dir, 'kubeconfig'), renderMergedKubeconfig(plans.map((p) => ({
      clusterName: p.name, server: p.server, caPem: readPem(p.pki.ca.cert), user: `${p.name}-admin`,
      clientCertPem: readPem(p.pki.admin.cert), clientKeyPem: readPem(p.pki.admin.key),
    }))), { mode: 0o600 });

    // Controllers: every member gets controller-manager, scheduler and KWOK; the host a controller-manager
    // (namespace deletion, garbage collection, service account tokens).
    const health: Array<Promise<void>> = [];
    for (const p of plans) {
      const kcmPort = await freePort();
      // The real nodes' pod CIDRs are routed from the host, so they must not overlap another instance's.
      const clusterCidr = network && p.name === memberName(1) ? network.clusterCidr
        : network?.hostNode && p.name === 'host' ? network.hostClusterCidr : undefined;
      const kcm = launch(`${p.name}/kube-controller-manager`, [binary(state.binDir, 'kube-controller-manager'), ...controllerManagerArgs(p.paths, p.pki, kcmPort, clusterCidr)], logDir);
      record(kcm);
      health.push(waitHealthy(kcm, `https://127.0.0.1:${kcmPort}/healthz`, 120_000));
      if (p.name === 'host' && !state.hostNode) continue;
      const schedPort = await freePort();
      const sched = launch(`${p.name}/kube-scheduler`, [binary(state.binDir, 'kube-scheduler'), ...schedulerArgs(p.paths, schedPort)], logDir);
      record(sched);
      health.push(waitHealthy(sched, `https://127.0.0.1:${schedPort}/healthz`, 120_000));
      if (p.name === 'host') continue;
      writeFileSync(path.join(p.paths.dir, 'kwok.yaml'), 'apiVersion: config.kwok.x-k8s.io/v1alpha1\nkind: KwokConfiguration\noptions: {}\n');
      record(launch(`${p.name}/kwok`, [binary(state.binDir, 'kwok'), ...kwokArgs(p.paths, await freePort())], logDir));
    }
    await Promise.all(health);
    progress.step(`controller-managers and schedulers healthy`);

    const host = clients.get('host')!;
    const crd = await ensureKubeFedCrd(host);
    await ensureNamespace(host, KUBEFED_NAMESPACE);
    progress.step(`host: KubeFedCluster CRD ${crd}, namespace ${KUBEFED_NAMESPACE} ready`);

    // Built (synchronously, tens of seconds) before any request is in flight: a blocked event loop lets the
    // API servers drop TLS handshakes that are under way.
    const images = network && state.realNodes ? buildRealNodeImages(state.dir, progress, calicoBinDir) : undefined;
    const members = plans.filter((p) => p.name !== 'host');
    const work: Array<Promise<void>> = members.map(async (p, idx) => {
      const client = clients.get(p.name)!;
      const cluster = state.clusters.find((c) => c.name === p.name)!;
      // The controller-manager runs as a host process, so its --cluster-cidr is not readable through the API;
      // the member publishes it where kubeadm clusters do, which is where the Calico tactic reads its pool.
      await client.applyObject(kubeadmConfig(p.name === memberName(1) && network ? network.clusterCidr : CLUSTER_CIDR), 'fedfeat-local-federation');
      for (let n = 1; n <= opts.nodesPerMember; n++) {
        await createNode(client, kwokNode(p.name, n, version, !!state.realNetwork && p.name === state.realNetwork.member, nodeSizeOf(opts.nodeSizes, p.name)));
        cluster.kwokNodes.push(kwokNodeName(p.name, n));
      }
      // The PodPreset webhook of this member runs beside its API server, which calls it by URL (as envtest does);
      // it waits until fedfeat installs its certificate on the member.
      const webhookPort = await freePort();
      record(launch(`${p.name}/podpreset-webhook`, [process.execPath, path.join(repoRoot, 'bin', 'fedfeat.js'), 'webhook', 'podpreset',
        '--kubeconfig', p.paths.adminKubeconfig, '--listen', `127.0.0.1:${webhookPort}`, '--tls-secret', 'fedfeat-system/podpreset-webhook-tls'], logDir));
      await joinMember(host, client, {
        member: p.name, apiEndpoint: p.server, caPem: readPem(p.pki.ca.cert),
        labels: { 'fedfeat.io/local-federation': opts.instance, 'fedfeat.io/member-index': String(idx + 1) },
        annotations: { 'fedfeat.io/podpreset-webhook-url': `https://127.0.0.1:${webhookPort}`, 'fedfeat.io/node-agent-image': NODE_AGENT_IMAGE },
      });
      progress.step(`${p.name}: joined to the host (fedfeat join, enforce access) as KubeFedCluster (${opts.nodesPerMember} KWOK nodes created)`);
    });
    if (network && state.realNodes) {
      const nodesOf = (p: (typeof plans)[number], plan: typeof network, nodes: NonNullable<typeof state.realNodes>) => startRealNodes({
        instance: opts.instance, fedDir: state.dir, logDir, binDir: state.binDir, memberName: p.name,
        memberServer: p.server, memberCA: p.pki.ca, plan, member: clients.get(p.name)!, progress, onProcess: record,
        onUpdate: () => writeState(state), images,
      }, nodes);
      work.push(nodesOf(plans.find((p) => p.name === memberName(1))!, network, state.realNodes));
      if (state.hostNode) work.push(nodesOf(plans.find((p) => p.name === 'host')!, hostNodePlan(network), [state.hostNode]));
    }
    // Every start finishes (or fails) before a failure tears down: a node still starting would launch its kubelet after the teardown.
    const results = await Promise.allSettled(work);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    writeState(state);

    await Promise.all(members.map(async (p) => {
      const client = clients.get(p.name)!;
      const want = state.clusters.find((c) => c.name === p.name)!.kwokNodes.length;
      let restarts = 0;
      await waitFor(`${p.name}: ${want} KWOK nodes Ready`, async () => {
        // A KWOK that died (seen on loaded 2-core machines) would leave its nodes NotReady until the timeout.
        const idx = state.processes.findIndex((r) => r.name === `${p.name}/kwok`);
        const kwok = state.processes[idx]!;
        if (!isRunning(kwok)) {
          if (restarts++ >= 2) throw new Error(`${kwok.name} exited twice; its log ends:\n${logTail(kwok.logFile)}`);
          progress.step(`${kwok.name} exited (log: ${kwok.logFile}); restarting it`);
          state.processes[idx] = launch(kwok.name, kwok.command, logDir);
          writeState(state);
        }
        return (await readyKwokNodes(client)) >= want;
      }, { timeoutMs: 120_000, intervalMs: 500 });
    }));
    progress.step(`all KWOK nodes Ready`);

    state.phase = 'running';
    state.startupSeconds = Math.round(progress.elapsed() * 10) / 10;
    const allReal = [...state.realNodes ?? [], ...(state.hostNode ? [state.hostNode] : [])];
    for (const n of allReal) n.memory = realNodeMemory(n, state.processes);
    // A real node's kubelet runs under a supervisor and containerd has shims: counted per node, with their children.
    const realNodeProcs = new Set(['kubelet', 'kube-proxy', 'containerd']);
    state.memoryMiB = memoryMiB(state.processes.filter((p) => !realNodeProcs.has(p.name.split('/').pop()!))) +
      allReal.reduce((mib, n) => mib + n.memory!.totalMiB, 0);
    if (allReal.length) {
      progress.step(`real nodes' memory (RSS): ${allReal.map((n) => `${n.nodeName} ${n.memory!.totalMiB} MiB ` +
        `(containerd ${n.memory!.containerdMiB}, kubelet ${n.memory!.kubeletMiB}, kube-proxy ${n.memory!.kubeProxyMiB})`).join('; ')}`);
    }
    writeState(state);
  } finally {
    for (const c of clients.values()) c.close();
  }
}

/** Creates a node; an etcd or client timeout under load (500/503/504, no answer in time) is retried, and 409 means an earlier try got through. */
async function createNode(client: KubeClient, node: ReturnType<typeof kwokNode>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.post('/api/v1/nodes', node);
      return;
    } catch (e) {
      if (e instanceof KubeApiError && e.statusCode === 409) return;
      const overloaded = (e instanceof KubeApiError && [500, 503, 504].includes(e.statusCode)) || /timed out after/.test((e as Error).message);
      if (!overloaded || attempt >= 5) throw e;
      await sleep(1000 * attempt);
    }
  }
}

async function readyKwokNodes(client: KubeClient): Promise<number> {
  const nodes = await client.list<{ status?: { conditions?: Array<{ type: string; status: string }> } }>('/api/v1/nodes', {
    query: { labelSelector: 'fedfeat.io/node-kind=kwok' },
  });
  return nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

/** Stops what a state file records, newest tier first, and removes the real node's namespace and cgroups. */
async function teardown(state: FederationState, progress: Progress): Promise<string[]> {
  state.phase = 'stopping';
  if (existsSync(state.dir)) writeState(state);
  const done: string[] = [];
  const byName = (suffix: string) => state.processes.filter((p) => p.name.endsWith(`/${suffix}`) || p.name === suffix);
  // A state file written before several real nodes existed names one node as `realNode`.
  const legacy = (state as { realNode?: { netns: string; hostVeth: string; cgroupRoot: string } }).realNode;
  if (state.realNetwork || state.realNodes || legacy) {
    done.push(...await teardownRealNodes({
      instance: state.instance, fedDir: state.dir, binDir: state.binDir, nodes: [...state.realNodes ?? [], ...(state.hostNode ? [state.hostNode] : [])], processes: state.processes,
    }));
  }
  const tiers = [['podpreset-webhook', 'kwok', 'kube-scheduler', 'kube-controller-manager'], ['kube-apiserver'], ['etcd']];
  // Processes attached after `up` (the demo's controller) go first: they use the API servers.
  const known = new Set([...tiers.flat(), 'kubelet', 'kube-proxy', 'containerd']);
  const attached = state.processes.filter((p) => !known.has(p.name.split('/').pop()!));
  for (const tier of [attached, ...tiers.map((t) => t.flatMap(byName))]) {
    const procs = tier;
    const results = await Promise.all(procs.map(async (p) => [p, await stopProcess(p)] as const));
    for (const [p, r] of results) if (r !== 'not-running') done.push(`${p.name} pid ${p.pid} ${r}`);
  }
  if (state.realNetwork) done.push(...removeRealNetwork(state.instance, state.realNetwork));
  if (legacy) done.push(...removeRealNetwork(state.instance, { bridge: legacy.hostVeth, nodes: [] }), ...(deleteNamespace(legacy.netns) ? [`netns ${legacy.netns}`] : []));
  progress.step(`stopped: ${done.length ? done.join('; ') : 'nothing was running'}`);
  return done;
}

export interface DownResult {
  found: boolean;
  stopped: string[];
}

/** Stops exactly the recorded processes (by PID and start time) and removes what `up` created, keeping logs. */
export async function down(instance: string, opts: { purge?: boolean; quiet?: boolean } = {}): Promise<DownResult> {
  const progress = new Progress(opts.quiet);
  const dir = instanceDir(instance);
  if (!existsSync(stateFile(dir))) {
    progress.step(`no local federation "${instance}" (nothing in ${dir})`);
    return { found: false, stopped: [] };
  }
  const release = acquireLock(dir);
  try {
    const state = readState(dir)!;
    const stopped = await teardown(state, progress);
    if (opts.purge) {
      rmSync(dir, { recursive: true, force: true });
      progress.step(`removed ${dir}`);
    } else {
      for (const entry of readdirSync(dir)) if (entry !== 'logs' && entry !== 'lock') rmSync(path.join(dir, entry), { recursive: true, force: true });
      progress.step(`removed state; logs kept in ${path.join(dir, 'logs')}`);
    }
    return { found: true, stopped };
  } finally {
    if (existsSync(dir)) release();
  }
}

export function status(instance: string): FederationState | undefined {
  return readState(instanceDir(instance));
}
