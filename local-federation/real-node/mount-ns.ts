// Each real node's own mount namespace, where the host folders a node keeps
// for itself (CNI configuration and plugins, Calico's and host-local's state)
// are the node's own folders bind-mounted over the host's. A CNI's DaemonSet
// writes through hostPath volumes (Calico's install-cni into /etc/cni/net.d
// and /opt/cni/bin, calico-node into /var/lib/calico); on machines that are
// nodes those are per machine, and here three nodes share one filesystem.
// containerd, the kubelet and kube-proxy of a node run in its namespace (both
// containerd and the kubelet must: the kubelet's volume mounts are what
// containerd hands to runc). Propagation: private from the host (nothing leaks
// either way), shared within (Calico's mount-bpffs uses Bidirectional mounts,
// which containerd allows only on shared mounts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Host folders each node has for itself, and the folder of the node's directory that backs it. */
export const NODE_LOCAL_DIRS: ReadonlyArray<{ host: string; own: string }> = [
  { host: '/etc/cni/net.d', own: 'cni/net.d' },
  { host: '/opt/cni/bin', own: 'cni/bin' },
  { host: '/var/lib/cni', own: 'var-lib-cni' },
  { host: '/var/lib/calico', own: 'var-lib-calico' },
  { host: '/run/calico', own: 'run-calico' },
  { host: '/var/log/calico', own: 'var-log-calico' },
];

/** The plugins a node's OS image carries in /opt/cni/bin (the bridge pods start on, and what CNIs chain). */
export const SYSTEM_CNI_DIR = '/usr/lib/cni';

/**
 * Where the node's mount namespace is kept open: a file under the instance's /run folder (removed by teardown's
 * unmount sweep), named by member too (the host cluster's node and member-1's first node are both ordinal 1).
 */
export const mountNsFile = (instance: string, member: string, ordinal: number) => `/run/fedfeat/${instance}/mntns/${member}-node${ordinal}`;

/** The shell script that sets up the namespace from inside (pure). */
export function mountNsScript(nodeDir: string): string {
  const lines = ['set -e', 'mount --make-rshared /'];
  for (const d of NODE_LOCAL_DIRS) lines.push(`mount --bind '${path.join(nodeDir, d.own)}' '${d.host}'`);
  return lines.join('\n');
}

/** Creates the node's folders and its mount namespace; returns the namespace file for nsenter --mount. */
export function createNodeMountNs(instance: string, member: string, ordinal: number, nodeDir: string): string {
  for (const d of NODE_LOCAL_DIRS) {
    mkdirSync(path.join(nodeDir, d.own), { recursive: true });
    mkdirSync(d.host, { recursive: true }); // empty mount points on the host; the host's own use of them is unchanged
  }
  const bin = path.join(nodeDir, 'cni', 'bin');
  for (const p of readdirSync(SYSTEM_CNI_DIR)) if (!existsSync(path.join(bin, p))) copyFileSync(path.join(SYSTEM_CNI_DIR, p), path.join(bin, p));
  const file = mountNsFile(instance, member, ordinal);
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  // A namespace can be kept open only on a private mount (else the kernel sees a propagation loop).
  if (!isMountPoint(dir)) {
    execFileSync('mount', ['--bind', dir, dir]);
    execFileSync('mount', ['--make-private', dir]);
  }
  writeFileSync(file, '');
  execFileSync('unshare', [`--mount=${file}`, '--propagation', 'private', 'sh', '-c', mountNsScript(nodeDir)], { stdio: ['ignore', 'ignore', 'pipe'] });
  return file;
}

function isMountPoint(dir: string): boolean {
  try {
    execFileSync('mountpoint', ['-q', dir]);
    return true;
  } catch {
    return false;
  }
}
