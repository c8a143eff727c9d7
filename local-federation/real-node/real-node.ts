// Bringing the real node up (containerd + kubelet in their own network
// namespace and cgroup subtree) and tearing it down so nothing is left.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeClient } from '../../kube-client/client.js';
import { binary } from '../binaries.js';
import { launch, SERVICE_IP } from '../control-plane.js';
import { buildImages, FEDFEAT_IMAGE, PAUSE_IMAGE } from '../images/build-images.js';
import { renderKubeconfig } from '../kubeconfig.js';
import { issueCert, readPem, type CertPair } from '../pki.js';
import { isRunning, logTail, stopProcess, type ProcessRecord } from '../processes.js';
import { waitFor } from '../../kube-client/wait.js';
import type { Progress } from '../progress.js';
import type { RealNodeState } from '../state.js';
import { createCgroup, movePid, pidsIn, removeCgroup } from './cgroups.js';
import { containerdPaths, ctr, importImage, writeContainerdConfig, writeCniConfig } from './containerd.js';
import { kubeletArgs, renderKubeletConfig } from './kubelet.js';
import { repoRoot } from '../repo-root.js';
import { deleteNetwork, inNodeNetns, routeApiServerService, routePodCidr, type NodeNetwork } from './network.js';
import { sleep } from '../../kube-client/wait.js';

export interface RealNodeInput {
  instance: string;
  fedDir: string;
  logDir: string;
  binDir: string;
  memberName: string;
  memberServer: string;
  memberCA: CertPair;
  network: NodeNetwork;
  member: KubeClient;
  progress: Progress;
  /** Called with every process as soon as it starts, so a failed `up` can still be cleaned. */
  onProcess: (p: ProcessRecord) => void;
}

/** What the real node needs from the machine; undefined when all is there, else why not. */
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
export const realNodeName = (instance: string, member: string) => `${instance}-${member}-real`;
export const cgroupRootFor = (instance: string) => `/fedfeat-${instance}`;

export async function startRealNode(input: RealNodeInput): Promise<RealNodeState> {
  const { network: net, progress, instance } = input;
  const nodeName = realNodeName(instance, input.memberName);
  const nodeDir = path.join(input.fedDir, 'real-node');
  const cgroupRoot = cgroupRootFor(instance);
  createCgroup(`${cgroupRoot}/runtime`);

  progress.step(`real node: building images ${PAUSE_IMAGE}, tools and ${FEDFEAT_IMAGE}`);
  const images = buildImages(path.join(nodeDir, 'images'));

  const cp = containerdPaths(nodeDir, instance);
  writeContainerdConfig(cp, PAUSE_IMAGE);
  const containerd = launch(`${input.memberName}/containerd`, inNodeNetns(net.netns, ['containerd', '--config', cp.configFile]), input.logDir);
  input.onProcess(containerd);
  // Before containerd starts any shim: shims and pods inherit this cgroup, so teardown finds them all.
  movePid(`${cgroupRoot}/runtime`, containerd.pid);
  await waitFor('containerd', async () => {
    ctr(cp.socket, ['version']);
    return true;
  }, { timeoutMs: 30_000, describe: () => logTail(containerd.logFile) });
  for (const img of images) importImage(cp.socket, img.archive);
  progress.step(`real node: containerd ready, imported ${images.map((i) => i.reference).join(', ')}`);

  const pki = path.join(nodeDir, 'pki');
  const [client, serving] = await Promise.all([
    issueCert(input.memberCA, pki, 'kubelet-client', { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], usage: 'client' }),
    issueCert(input.memberCA, pki, 'kubelet-serving', { commonName: nodeName, usage: 'server', ipAddresses: [net.nodeIP], dnsNames: [nodeName] }),
  ]);
  const setup = {
    nodeName,
    nodeIP: net.nodeIP,
    rootDir: path.join(nodeDir, 'kubelet'),
    configFile: path.join(nodeDir, 'kubelet-config.yaml'),
    kubeconfig: path.join(nodeDir, 'kubelet.kubeconfig'),
    clientCAFile: input.memberCA.cert,
    servingCert: serving.cert,
    servingKey: serving.key,
    containerdSocket: cp.socket,
    cgroupRoot,
  };
  mkdirSync(setup.rootDir, { recursive: true });
  writeFileSync(setup.configFile, renderKubeletConfig(setup));
  writeFileSync(setup.kubeconfig, renderKubeconfig({
    clusterName: input.memberName, server: input.memberServer, caPem: readPem(input.memberCA.cert),
    user: `system:node:${nodeName}`, clientCertPem: readPem(client.cert), clientKeyPem: readPem(client.key),
  }), { mode: 0o600 });

  // Under a supervisor that starts it again when it exits: the restart method this node declares
  // (annotation fedfeat.io/kubelet-restart=signal) for the kubelet tactic's agent.
  const supervise = path.join(repoRoot, 'local-federation', 'real-node', 'supervise.sh');
  const kubelet = launch(`${input.memberName}/kubelet`, inNodeNetns(net.netns, ['sh', supervise, binary(input.binDir, 'kubelet'), ...kubeletArgs(setup)]), input.logDir);
  input.onProcess(kubelet);

  // The node's podCIDR comes from the member's controller-manager after registration.
  let podCidr = '';
  await waitFor(`node ${nodeName} registered with a podCIDR`, async () => {
    if (!isRunning(kubelet)) throw new Error('kubelet exited');
    const node = await input.member.getOptional<{ spec?: { podCIDR?: string } }>(`/api/v1/nodes/${nodeName}`);
    podCidr = node?.spec?.podCIDR ?? '';
    return podCidr !== '';
  }, { timeoutMs: 90_000, describe: () => `kubelet log tail:\n${logTail(kubelet.logFile)}` });
  await input.member.mergePatch(`/api/v1/nodes/${nodeName}`, { metadata: { annotations: { 'fedfeat.io/kubelet-restart': 'signal' } } });
  writeCniConfig(cp, podCidr);
  routePodCidr(net, podCidr);
  routeApiServerService(net, SERVICE_IP, input.memberServer);
  await waitFor(`node ${nodeName} Ready`, async () => {
    const node = await input.member.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(`/api/v1/nodes/${nodeName}`);
    return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }, { timeoutMs: 120_000, describe: () => `kubelet log tail:\n${logTail(kubelet.logFile)}` });
  progress.step(`real node: ${nodeName} Ready (node IP ${net.nodeIP}, podCIDR ${podCidr})`);

  return {
    member: input.memberName, nodeName, netns: net.netns, hostVeth: net.hostVeth, hostIP: net.hostIP, nodeIP: net.nodeIP,
    subnet: net.subnet, containerdSocket: cp.socket, cgroupRoot,
  };
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
  realNode: RealNodeState;
  kubelet?: ProcessRecord;
  containerd?: ProcessRecord;
}

/** Stops pods through the CRI (so CNI releases their networks), then containerd, then sweeps what is left (not the network). */
export async function teardownRealNode(t: TeardownInput): Promise<string[]> {
  const done: string[] = [];
  if (t.kubelet && (await stopProcess(t.kubelet)) !== 'not-running') done.push(`kubelet pid ${t.kubelet.pid}`);
  if (t.containerd && isRunning(t.containerd) && t.binDir) {
    const crictl = binary(t.binDir, 'crictl');
    try {
      execFileSync(crictl, ['--runtime-endpoint', `unix://${t.realNode.containerdSocket}`, '--timeout', '30s', 'rmp', '--force', '--all'], { stdio: 'ignore' });
      done.push('pods removed through CRI');
    } catch {
      /* fall through to the cgroup sweep */
    }
  }
  if (t.containerd && (await stopProcess(t.containerd)) !== 'not-running') done.push(`containerd pid ${t.containerd.pid}`);
  // Shims and containers that outlived containerd are ours by construction: they live in our cgroup subtree.
  for (let round = 0; round < 20; round++) {
    const left = pidsIn(t.realNode.cgroupRoot);
    if (!left.length) break;
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (round === 0) done.push(`killed ${left.length} leftover processes in cgroup ${t.realNode.cgroupRoot}`);
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
  const busy = removeCgroup(t.realNode.cgroupRoot);
  if (busy.length) done.push(`cgroups still busy: ${busy.join(', ')}`);
  else done.push(`cgroup ${t.realNode.cgroupRoot}`);
  // The network goes last (removeRealNodeNetwork): its member's API server listens on the veth address.
  return done;
}

export function removeRealNodeNetwork(rn: RealNodeState): string[] {
  return deleteNetwork(rn.netns, rn.hostVeth);
}
