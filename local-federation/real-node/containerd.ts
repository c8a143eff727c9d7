// containerd for the real node: its own root, state, socket and CNI config
// folder, so it never touches a containerd the machine may already run.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ContainerdPaths {
  configFile: string;
  root: string;
  state: string;
  socket: string;
  cniConfDir: string;
}

const execFileAsync = promisify(execFile);

export function containerdPaths(nodeDir: string, instance: string): ContainerdPaths {
  const run = `/run/fedfeat/${instance}`;
  return {
    configFile: path.join(nodeDir, 'containerd.toml'),
    root: path.join(nodeDir, 'containerd'),
    state: path.join(run, 'containerd'),
    socket: path.join(run, 'containerd.sock'),
    cniConfDir: path.join(nodeDir, 'cni', 'net.d'),
  };
}

/** True when this process may lower its oom_score_adj (CAP_SYS_RESOURCE), as runc must for pods. */
export function canLowerOomScoreAdj(): boolean {
  try {
    const caps = BigInt('0x' + (/CapEff:\s+([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'));
    const CAP_SYS_RESOURCE = 24n;
    return ((caps >> CAP_SYS_RESOURCE) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** containerd 1.6 configuration (pure given its inputs). */
export function renderContainerdConfig(p: ContainerdPaths, sandboxImage: string, restrictOomScoreAdj = !canLowerOomScoreAdj()): string {
  return `version = 2
root = "${p.root}"
state = "${p.state}"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${p.socket}"
[ttrpc]
  address = "${p.socket}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${path.join(p.root, 'opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  # Built locally and imported; there is no registry to pull it from.
  sandbox_image = "${sandboxImage}"
  enable_selinux = false
  # Some sandboxes (this CI among them) deny lowering oom_score_adj even to root;
  # keep containers at or above containerd's own score instead of failing them.
  restrict_oom_score_adj = ${restrictOomScoreAdj}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  # Paths as the node's mount namespace shows them (real-node/mount-ns.ts): its own folders, where a CNI's
  # DaemonSet installs through hostPath volumes as on any node.
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
`;
}

export function writeContainerdConfig(p: ContainerdPaths, sandboxImage: string): void {
  for (const d of [p.root, p.state, p.cniConfDir, path.dirname(p.socket)]) mkdirSync(d, { recursive: true });
  writeFileSync(p.configFile, renderContainerdConfig(p, sandboxImage));
}

/**
 * Bridge + host-local CNI on the node's podCIDR (pure). No masquerade: pods on other nodes and the host see a
 * pod's own IP, reached by plain routes between the nodes' podCIDRs (kube-proxy masquerades Service traffic that needs it).
 */
export function renderCniConfig(podCidr: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    // Calico's network name: a CNI installed later with host-local IPAM on the same podCIDR (fedfeat's Calico mode)
    // then shares host-local's records with the bridge, so it never hands out an address a running pod holds.
    name: 'k8s-pod-network',
    plugins: [
      {
        type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

export function writeCniConfig(p: ContainerdPaths, podCidr: string): void {
  writeFileSync(path.join(p.cniConfDir, '10-fedfeat-bridge.conflist'), renderCniConfig(podCidr));
}

export function ctr(socket: string, args: string[]): string {
  return execFileSync('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Imports an image archive without blocking the event loop: an import takes seconds per node, and a
 * blocked loop lets the API servers drop the TLS handshakes the launcher has in flight meanwhile.
 */
export async function importImage(socket: string, archive: string): Promise<void> {
  await execFileAsync('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', '--no-unpack=false', archive]);
}
