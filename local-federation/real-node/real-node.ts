// Bringing the real nodes up (each: containerd, kubelet and kube-proxy in its
// own network namespace and cgroup subtree, with its own podCIDR) and tearing
// them down so nothing is left.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { binary } from '../binaries.js';
import { launch, SERVICE_IP } from '../control-plane.js';
import { treeRssKiB, rssKiB } from '../proc-stats.js';
import { buildImages, FEDFEAT_IMAGE, PAUSE_IMAGE, type BuiltImage } from '../images/build-images.js';
import { buildCalicoImages } from '../images/calico-images.js';
import { renderKubeconfig } from '../kubeconfig.js';
import { issueCert, readPem, type CertPair } from '../pki.js';
import { isRunning, logTail, stopProcess, type ProcessRecord } from '../processes.js';
import { waitFor } from '../../kube-client/wait.js';
import type { Progress } from '../progress.js';
import type { RealNetworkState, RealNodeMemory, RealNodeState } from '../state.js';
import { createCgroup, movePid, pidsIn, removeCgroup } from './cgroups.js';
import { containerdPaths, ctr, importImage, writeContainerdConfig, writeCniConfig } from './containerd.js';
import { kubeletArgs, renderKubeletConfig } from './kubelet.js';
import { repoRoot } from '../repo-root.js';
import { addRoutes, deleteNetwork, inNodeNetns, podRoutes, type NetworkPlan, type NodeNetwork } from './network.js';
import { kubeProxyArgs, renderKubeProxyConfig } from './kube-proxy.js';
import { createNodeMountNs, mountNsFile } from './mount-ns.js';
import { sleep } from '../../kube-client/wait.js';

export interface RealNodesInput {
  instance: string;
  fedDir: string;
  logDir: string;
  binDir: string;
  memberName: string;
  memberServer: string;
  memberCA: CertPair;
  plan: NetworkPlan;
  member: KubeClient;
  progress: Progress;
  /** Called with every process as soon as it starts, so a failed `up` can still be cleaned. */
  onProcess: (p: ProcessRecord) => void;
  /** Calico's binaries (ensureCalicoBinaries()): its images are built and imported into every node too. */
  calicoBinDir?: string;
  /** Called whenever a node's record gains something (its podCIDR), to keep the state file current. */
  onUpdate?: () => void;
  /** Images already built (several clusters' nodes share one build); built here when absent. */
  images?: BuiltImage[];
}

/** What the real nodes need from the machine; undefined when all is there, else why not. */
export function realNodeUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespace, cgroups, containerd)';
  for (const tool of ['containerd', 'ctr', 'nsenter', 'ip', 'iptables', 'gcc', 'tar']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (run local-federation/install-system-packages.sh)`;
    }
  }
  for (const f of ['/usr/sbin/runc', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/bin/busybox']) {
    if (!existsSync(f)) return `${f} is missing (run local-federation/install-system-packages.sh)`;
  }
  return undefined;
}

/** Unique per federation: node agents find their kubelet by --hostname-override, and two federations' real nodes share one PID space. */
export const realNodeName = (instance: string, member: string, ordinal: number) => `${instance}-${member}-real-${ordinal}`;
/** The instance's cgroup subtree; each node has its own below it. */
export const cgroupRootFor = (instance: string) => `/fedfeat-${instance}`;
/** `key` is the node's NodeNetwork key: `node<k>` for member-1's nodes, `host1` for the host's. */
export const nodeCgroupRoot = (instance: string, key: string) => `${cgroupRootFor(instance)}/${key}`;
export const realNodeDir = (fedDir: string, key: string) => path.join(fedDir, 'real-node', key);
/** Process names: `<member>/real-<k>/<program>`. */
export const realNodeProcess = (member: string, ordinal: number, program: 'containerd' | 'kubelet' | 'kube-proxy') => `${member}/real-${ordinal}/${program}`;

/** The records of the planned nodes (pure), written to the state file before anything starts. */
export function plannedRealNodes(instance: string, fedDir: string, member: string, plan: NetworkPlan): RealNodeState[] {
  return plan.nodes.map((n) => {
    const dir = realNodeDir(fedDir, n.key);
    return {
      member, nodeName: realNodeName(instance, member, n.ordinal), ordinal: n.ordinal, netns: n.netns, hostVeth: n.hostVeth,
      hostIP: plan.hostIP, nodeIP: n.nodeIP, subnet: plan.subnet, dir, kubeletConfig: path.join(dir, 'kubelet-config.yaml'),
      containerdSocket: containerdPaths(dir, `${instance}/${n.key}`).socket, cgroupRoot: nodeCgroupRoot(instance, n.key),
    };
  });
}

export function realNetworkState(member: string, plan: NetworkPlan): RealNetworkState {
  return { member, index: plan.index, bridge: plan.bridge, hostIP: plan.hostIP, subnet: plan.subnet, clusterCidr: plan.clusterCidr, nodes: plan.nodes };
}

/**
 * Starts every planned node: containerd and kubelet on all of them at once, then, when the member's
 * controller-manager has given each its podCIDR, the routes between the podCIDRs, the CNI configuration and
 * kube-proxy; returns when all are Ready and kube-proxy has programmed the `kubernetes` Service on each.
 */
export async function startRealNodes(input: RealNodesInput, nodes: RealNodeState[]): Promise<void> {
  const { plan, progress } = input;
  await input.member.applyObject(kubernetesEndpointSlice(input.memberServer), 'fedfeat-local-federation');
  const images = input.images ?? buildRealNodeImages(input.fedDir, progress, input.calicoBinDir);
  const started = await Promise.all(nodes.map((node, i) => startNode(input, node, plan.nodes[i]!, images)));
  addRoutes(podRoutes(plan, nodes.map((n) => n.podCidr!)), plan.bridge);
  progress.step(`real nodes: routes between podCIDRs ${nodes.map((n) => `${n.podCidr} via ${n.nodeIP}`).join(', ')}`);
  await Promise.all(nodes.map((node, i) => finishNode(input, node, started[i]!)));
}

/** The images every real node imports, built once per `up`. */
export function buildRealNodeImages(fedDir: string, progress: Progress, calicoBinDir?: string): BuiltImage[] {
  progress.step(`real nodes: building images ${PAUSE_IMAGE}, tools and ${FEDFEAT_IMAGE}`);
  const imageDir = path.join(fedDir, 'real-node', 'images');
  const images = buildImages(imageDir);
  if (calicoBinDir) {
    const calico = buildCalicoImages(calicoBinDir, imageDir);
    images.push(...calico);
    progress.step(`real nodes: built ${calico.map((i) => i.reference).join(', ')} from Calico's source`);
  }
  return images;
}

/**
 * The `kubernetes` Service's endpoint, the member's API server, written once: the API servers run with
 * --endpoint-reconciler-type=none (its lease reconciler stalls their shutdown), and kube-proxy needs it (pure).
 */
export function kubernetesEndpointSlice(apiServer: string): KubeObject {
  const { hostname, port } = new URL(apiServer);
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes', namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'local-federation.fedfeat.io' },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [hostname], conditions: { ready: true } }],
    ports: [{ name: 'https', port: Number(port), protocol: 'TCP' }],
  } as KubeObject;
}

interface Started {
  cp: ReturnType<typeof containerdPaths>;
  kubelet: ProcessRecord;
  pki: string;
}

async function startNode(input: RealNodesInput, node: RealNodeState, net: NodeNetwork, images: Array<{ reference: string; archive: string }>): Promise<Started> {
  const { progress, instance } = input;
  const { nodeName, cgroupRoot } = node;
  createCgroup(`${cgroupRoot}/runtime`);
  const cp = containerdPaths(node.dir, `${instance}/${net.key}`);
  writeContainerdConfig(cp, PAUSE_IMAGE);
  const mnt = createNodeMountNs(instance, node.member, node.ordinal, node.dir);
  const containerd = launch(realNodeProcess(input.memberName, node.ordinal, 'containerd'), inNodeNetns(net.netns, ['containerd', '--config', cp.configFile], mnt), input.logDir);
  input.onProcess(containerd);
  // Before containerd starts any shim: shims and pods inherit this cgroup, so teardown finds them all.
  movePid(`${cgroupRoot}/runtime`, containerd.pid);
  await waitFor(`containerd of ${nodeName}`, async () => {
    ctr(cp.socket, ['version']);
    return true;
  }, { timeoutMs: 30_000, describe: () => logTail(containerd.logFile) });
  for (const img of images) await importImage(cp.socket, img.archive);
  progress.step(`${input.memberName} real node ${node.ordinal}: containerd ready, imported ${images.map((i) => i.reference).join(', ')}`);

  const pki = path.join(node.dir, 'pki');
  const [client, serving] = await Promise.all([
    issueCert(input.memberCA, pki, 'kubelet-client', { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], usage: 'client' }),
    issueCert(input.memberCA, pki, 'kubelet-serving', { commonName: nodeName, usage: 'server', ipAddresses: [net.nodeIP], dnsNames: [nodeName] }),
  ]);
  const setup = {
    nodeName,
    nodeIP: net.nodeIP,
    rootDir: path.join(node.dir, 'kubelet'),
    podLogsDir: path.join(node.dir, 'pod-logs'),
    configFile: node.kubeletConfig,
    kubeconfig: path.join(node.dir, 'kubelet.kubeconfig'),
    clientCAFile: input.memberCA.cert,
    servingCert: serving.cert,
    servingKey: serving.key,
    containerdSocket: cp.socket,
    cgroupRoot,
  };
  mkdirSync(setup.rootDir, { recursive: true });
  mkdirSync(setup.podLogsDir, { recursive: true });
  writeFileSync(setup.configFile, renderKubeletConfig(setup));
  writeFileSync(setup.kubeconfig, renderKubeconfig({
    clusterName: input.memberName, server: input.memberServer, caPem: readPem(input.memberCA.cert),
    user: `system:node:${nodeName}`, clientCertPem: readPem(client.cert), clientKeyPem: readPem(client.key),
  }), { mode: 0o600 });

  // Under a supervisor that starts it again when it exits: the restart method this node declares
  // (annotation fedfeat.io/kubelet-restart=signal) for the kubelet tactic's agent.
  const supervise = path.join(repoRoot, 'local-federation', 'real-node', 'supervise.sh');
  const kubelet = launch(realNodeProcess(input.memberName, node.ordinal, 'kubelet'), inNodeNetns(net.netns, ['sh', supervise, binary(input.binDir, 'kubelet'), ...kubeletArgs(setup)], mnt), input.logDir);
  input.onProcess(kubelet);

  // The node's podCIDR comes from the member's controller-manager after registration.
  await waitFor(`node ${nodeName} registered with a podCIDR`, async () => {
    if (!isRunning(kubelet)) throw new Error('kubelet exited');
    const n = await input.member.getOptional<{ spec?: { podCIDR?: string } }>(`/api/v1/nodes/${nodeName}`);
    node.podCidr = n?.spec?.podCIDR || undefined;
    return node.podCidr !== undefined;
  }, { timeoutMs: 90_000, describe: () => `kubelet log tail:\n${logTail(kubelet.logFile)}` });
  input.onUpdate?.();
  await input.member.mergePatch(`/api/v1/nodes/${nodeName}`, { metadata: { annotations: { 'fedfeat.io/kubelet-restart': 'signal' } } });
  return { cp, kubelet, pki };
}

async function finishNode(input: RealNodesInput, node: RealNodeState, s: Started): Promise<void> {
  const { nodeName } = node;
  writeCniConfig(s.cp, node.podCidr!);

  // kube-proxy, with the identity the default RBAC gives it (user system:kube-proxy, role system:node-proxier).
  const proxyCert = await issueCert(input.memberCA, s.pki, 'kube-proxy', { commonName: 'system:kube-proxy', usage: 'client' });
  const proxyKubeconfig = path.join(node.dir, 'kube-proxy.kubeconfig');
  const proxyConfig = path.join(node.dir, 'kube-proxy-config.yaml');
  writeFileSync(proxyKubeconfig, renderKubeconfig({
    clusterName: input.memberName, server: input.memberServer, caPem: readPem(input.memberCA.cert),
    user: 'system:kube-proxy', clientCertPem: readPem(proxyCert.cert), clientKeyPem: readPem(proxyCert.key),
  }), { mode: 0o600 });
  writeFileSync(proxyConfig, renderKubeProxyConfig({ nodeName, kubeconfig: proxyKubeconfig, clusterCidr: input.plan.clusterCidr }));
  const proxy = launch(realNodeProcess(input.memberName, node.ordinal, 'kube-proxy'),
    inNodeNetns(node.netns, [binary(input.binDir, 'kube-proxy'), ...kubeProxyArgs(proxyConfig)], mountNsFile(input.instance, node.member, node.ordinal)), input.logDir);
  input.onProcess(proxy);

  await waitFor(`node ${nodeName} Ready`, async () => {
    const n = await input.member.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(`/api/v1/nodes/${nodeName}`);
    return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }, { timeoutMs: 120_000, describe: () => `kubelet log tail:\n${logTail(s.kubelet.logFile)}` });
  // Pods and the node reach the API server through the `kubernetes` Service once kube-proxy has written its rules.
  await waitFor(`kube-proxy of ${nodeName} serving the kubernetes Service`, async () => {
    if (!isRunning(proxy)) throw new Error('kube-proxy exited');
    return natRules(node.netns).includes(`${SERVICE_IP}/32`);
  }, { timeoutMs: 60_000, describe: () => `kube-proxy log tail:\n${logTail(proxy.logFile)}` });
  input.progress.step(`${input.memberName} real node ${node.ordinal}: ${nodeName} Ready (node IP ${node.nodeIP}, podCIDR ${node.podCidr}, kube-proxy in iptables mode)`);
}

/** The nat table of a node's network namespace, as iptables-save prints it. */
export function natRules(netns: string): string {
  const [cmd, ...args] = inNodeNetns(netns, ['iptables-save', '-t', 'nat']);
  return execFileSync(cmd!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resident memory of a node's own processes: containerd and its shims (its runtime cgroup), the kubelet (with its supervisor) and kube-proxy. */
export function realNodeMemory(node: RealNodeState, processes: ProcessRecord[]): RealNodeMemory {
  const find = (program: 'kubelet' | 'kube-proxy') => processes.find((p) => p.name === realNodeProcess(node.member, node.ordinal, program));
  const mib = (kib: number) => Math.round(kib / 1024);
  const containerd = pidsIn(`${node.cgroupRoot}/runtime`).reduce((kb, pid) => kb + rssKiB(pid), 0);
  const kubeletRec = find('kubelet');
  const proxyRec = find('kube-proxy');
  const kubelet = kubeletRec && isRunning(kubeletRec) ? treeRssKiB(kubeletRec.pid) : 0;
  const proxy = proxyRec && isRunning(proxyRec) ? treeRssKiB(proxyRec.pid) : 0;
  return { containerdMiB: mib(containerd), kubeletMiB: mib(kubelet), kubeProxyMiB: mib(proxy), totalMiB: mib(containerd + kubelet + proxy) };
}

/** Mount points under `prefix`, deepest first. */
function mountsUnder(prefixes: string[]): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines.map((l) => l.split(' ')[4] ?? '').filter((m) => prefixes.some((p) => m === p || m.startsWith(p + '/')));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export interface TeardownInput {
  instance: string;
  fedDir: string;
  binDir?: string;
  nodes: RealNodeState[];
  /** All the federation's processes; those of the real nodes are picked by name. */
  processes: ProcessRecord[];
}

const program = (p: ProcessRecord) => p.name.split('/').pop();

/**
 * Stops the kubelets and kube-proxies, the pods through the CRI (so CNI releases their networks), then
 * containerd, then sweeps what is left in the instance's cgroup subtree (not the network: see removeRealNetwork).
 */
export async function teardownRealNodes(t: TeardownInput): Promise<string[]> {
  const done: string[] = [];
  const stop = async (procs: ProcessRecord[]) => {
    const results = await Promise.all(procs.map(async (p) => [p, await stopProcess(p)] as const));
    for (const [p, r] of results) if (r !== 'not-running') done.push(`${p.name} pid ${p.pid} ${r}`);
  };
  await stop(t.processes.filter((p) => program(p) === 'kubelet' || program(p) === 'kube-proxy'));
  const containerds = t.processes.filter((p) => program(p) === 'containerd');
  if (t.binDir && containerds.some(isRunning)) {
    const crictl = binary(t.binDir, 'crictl');
    await Promise.all(t.nodes.map(async (n) => {
      if (!existsSync(n.containerdSocket)) return;
      try {
        execFileSync(crictl, ['--runtime-endpoint', `unix://${n.containerdSocket}`, '--timeout', '30s', 'rmp', '--force', '--all'], { stdio: 'ignore' });
        done.push(`pods of ${n.nodeName} removed through CRI`);
      } catch {
        /* fall through to the cgroup sweep */
      }
    }));
  }
  await stop(containerds);
  // Shims and containers that outlived containerd are ours by construction: they live in our cgroup subtree.
  const root = cgroupRootFor(t.instance);
  for (let round = 0; round < 20; round++) {
    const left = pidsIn(root);
    if (!left.length) break;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (round === 0) done.push(`killed ${left.length} leftover processes in cgroup ${root}`);
    await sleep(200);
  }
  const mounts = mountsUnder([path.join(t.fedDir, 'real-node'), `/run/fedfeat/${t.instance}`]);
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* already unmounted with its parent */
    }
  }
  if (mounts.length) done.push(`unmounted ${mounts.length} mounts`);
  // containerd's state folders (sockets, task state), once nothing is mounted below them any more.
  const run = `/run/fedfeat/${t.instance}`;
  if (existsSync(run) && mountsUnder([run]).length === 0) {
    rmSync(run, { recursive: true, force: true });
    done.push(run);
  }
  const busy = removeCgroup(root);
  if (busy.length) done.push(`cgroups still busy: ${busy.join(', ')}`);
  else done.push(`cgroup ${root}`);
  // The network goes last (removeRealNetwork): its member's API server listens on the bridge address.
  return done;
}

/** Removes every namespace of the instance (nodes, clients), their veths and the bridge. */
export function removeRealNetwork(instance: string, net: Pick<RealNetworkState, 'bridge' | 'nodes'>): string[] {
  return deleteNetwork(instance, net);
}
