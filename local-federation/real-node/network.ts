// The real node's network: a network namespace joined to the host by a veth
// pair on a private /30, so the kubelet has a non-loopback node IP and all of
// its traffic stays inside this machine. Nothing is routed off the machine.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';

export interface NodeNetwork {
  netns: string;
  hostVeth: string;
  nodeVeth: string;
  hostIP: string;
  nodeIP: string;
  /** Index of the /30 under 10.213.0.0/16 (also picks the member's pod CIDR). */
  index: number;
  subnet: string;
}

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

/** Interface names are limited to 15 bytes; derive short unique ones from the instance. */
export function planNetwork(instance: string, index: number): NodeNetwork {
  const h = createHash('sha256').update(instance).digest('hex').slice(0, 8);
  return {
    netns: `fedfeat-${instance}`,
    hostVeth: `ffh${h}`,
    nodeVeth: `ffn${h}`,
    hostIP: `10.213.${index}.1`,
    nodeIP: `10.213.${index}.2`,
    index,
    subnet: `10.213.${index}.0/30`,
  };
}

/** The first /30 index whose addresses no interface on this host uses. */
export function freeSubnetIndex(): number {
  const used = ip('-o', '-4', 'addr', 'show');
  for (let i = 0; i < 250; i++) if (!used.includes(`10.213.${i}.`)) return i;
  throw new Error('no free 10.213.x.0/30 subnet for the real node');
}

export const netnsPath = (netns: string) => `/run/netns/${netns}`;

export function createNetwork(n: NodeNetwork): void {
  if (existsSync(netnsPath(n.netns))) throw new Error(`network namespace ${n.netns} already exists; run "fedfeat dev down" first`);
  ip('netns', 'add', n.netns);
  ip('link', 'add', n.hostVeth, 'type', 'veth', 'peer', 'name', n.nodeVeth);
  ip('link', 'set', n.nodeVeth, 'netns', n.netns);
  ip('addr', 'add', `${n.hostIP}/30`, 'dev', n.hostVeth);
  ip('link', 'set', n.hostVeth, 'up');
  const inNs = (...args: string[]) => ip('-n', n.netns, ...args);
  inNs('link', 'set', 'lo', 'up');
  inNs('addr', 'add', `${n.nodeIP}/30`, 'dev', n.nodeVeth);
  inNs('link', 'set', n.nodeVeth, 'up');
  inNs('route', 'add', 'default', 'via', n.hostIP);
  // Pods on the node reach the host (API server) through the node's namespace.
  execFileSync('ip', ['netns', 'exec', n.netns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
}

/**
 * The one Service a pod needs without kube-proxy: the API server's ClusterIP (what in-cluster clients dial)
 * translated to the member's API server, for pods and for host-network processes of the node.
 */
export function routeApiServerService(n: NodeNetwork, serviceIP: string, apiServer: string): void {
  const { hostname, port } = new URL(apiServer);
  for (const chain of ['PREROUTING', 'OUTPUT']) {
    execFileSync('nsenter', [`--net=${netnsPath(n.netns)}`, '--', 'iptables', '-t', 'nat', '-A', chain, '-d', `${serviceIP}/32`, '-p', 'tcp', '--dport', '443', '-j', 'DNAT', '--to-destination', `${hostname}:${port}`]);
  }
}

/** Lets the host (API server, tests) reach the node's pods directly. */
export function routePodCidr(n: NodeNetwork, podCidr: string): void {
  ip('route', 'replace', podCidr, 'via', n.nodeIP, 'dev', n.hostVeth);
}

/** Removes the namespace and veth; safe to call on a partly created network. */
export function deleteNetwork(netns: string, hostVeth: string): string[] {
  const done: string[] = [];
  try {
    ip('link', 'del', hostVeth); // also removes the peer and routes through it
    done.push(`veth ${hostVeth}`);
  } catch {
    /* already gone */
  }
  if (existsSync(netnsPath(netns))) {
    ip('netns', 'del', netns);
    done.push(`netns ${netns}`);
  }
  return done;
}

/** A command prefix that runs a program in the node's network namespace but the host's mount namespace. */
export function inNodeNetns(netns: string, command: string[]): string[] {
  // `ip netns exec` would also make a private mount namespace, hiding the
  // kubelet's volume mounts from containerd; nsenter --net joins only the network.
  return ['nsenter', `--net=${netnsPath(netns)}`, '--', ...command];
}
