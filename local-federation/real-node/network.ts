// The real nodes' network, shaped like one cloud VPC subnet on this machine:
// a Linux bridge on the host (the subnet) carrying a private /24; the host
// holds .1 on it (member-1's API server listens there), each real node is a
// network namespace joined to the bridge by a veth pair, and each node's pod
// CIDR is reached through plain routes via that node's IP (no overlay, no
// NAT between pods), set in the host and in every other node. Clients the
// tests create are further namespaces on the same bridge. Nothing is routed
// off the machine.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';

/** The most real nodes one member may have (addresses .10 to .10+K-1 on the node subnet). */
export const MAX_REAL_NODES = 8;
/** Client namespaces take .200 and up on the node subnet. */
const FIRST_CLIENT_HOST = 200;

export interface NodeNetwork {
  /** 1-based position of the node in its cluster. */
  ordinal: number;
  /** Unique within the instance: names the node's namespace, folder, containerd state and cgroup (`node<k>`, the host's `host<k>`). */
  key: string;
  netns: string;
  hostVeth: string;
  nodeVeth: string;
  nodeIP: string;
}

export interface NetworkPlan {
  /** Index of the /24 under 10.213.0.0/16 (also picks the member's cluster CIDR). */
  index: number;
  bridge: string;
  /** The host's address on the bridge: gateway of the nodes, where member-1's API server listens. */
  hostIP: string;
  /** The node subnet, e.g. 10.213.3.0/24. */
  subnet: string;
  /** member-1's cluster CIDR, from which its controller-manager hands each node a /24 podCIDR. */
  clusterCidr: string;
  nodes: NodeNetwork[];
  /** The host cluster's one real node (where the controller's Deployment runs), on the same subnet, when asked for. */
  hostNode?: NodeNetwork;
  /** The host cluster's cluster CIDR: one /24, its node's podCIDR, apart from every member's and every other instance's. */
  hostClusterCidr: string;
}

export interface Route {
  dst: string;
  via: string;
}

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const shortHash = (s: string, n = 8) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Namespace names put a '.' after the instance (which has none), so one instance's names never match another's prefix. */
export const netnsPrefix = (instance: string) => `fedfeat-${instance}.`;

/** The host's node takes .2, below the members' nodes (.10 and up). */
const HOST_NODE_HOST = 2;

/**
 * Addresses and names for `nodes` real nodes of one instance, and optionally the host cluster's node (pure).
 * Interface names fit the kernel's 15 bytes.
 */
export function planNetwork(instance: string, index: number, nodes: number, opts: { hostNode?: boolean } = {}): NetworkPlan {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_REAL_NODES) throw new Error(`real nodes must be 1 to ${MAX_REAL_NODES} (got ${nodes})`);
  if (!Number.isInteger(index) || index < 0 || index > 154) throw new Error(`subnet index must be 0 to 154 (got ${index})`);
  const h = shortHash(instance);
  return {
    index,
    bridge: `ffb${h}`,
    hostIP: `10.213.${index}.1`,
    subnet: `10.213.${index}.0/24`,
    clusterCidr: `10.${100 + index}.0.0/16`,
    // Outside every member's 10.100-10.254 range, the Service CIDR (10.96/16) and the default cluster CIDR (10.244/16).
    hostClusterCidr: `10.99.${index}.0/24`,
    ...(opts.hostNode ? {
      hostNode: {
        ordinal: 1, key: 'host1', netns: `${netnsPrefix(instance)}host1`, hostVeth: `ffh${h}h1`, nodeVeth: `ffn${h}h1`,
        nodeIP: `10.213.${index}.${HOST_NODE_HOST}`,
      },
    } : {}),
    nodes: Array.from({ length: nodes }, (_, i) => ({
      ordinal: i + 1,
      key: `node${i + 1}`,
      netns: `${netnsPrefix(instance)}node${i + 1}`,
      hostVeth: `ffh${h}n${i + 1}`,
      nodeVeth: `ffn${h}n${i + 1}`,
      nodeIP: `10.213.${index}.${10 + i}`,
    })),
  };
}

/** The plan of the host's node alone, with the host's cluster CIDR (pure): what startRealNodes needs for the host. */
export function hostNodePlan(plan: NetworkPlan): NetworkPlan {
  if (!plan.hostNode) throw new Error('the network plan has no host node');
  return { ...plan, clusterCidr: plan.hostClusterCidr, nodes: [plan.hostNode], hostNode: undefined };
}

/**
 * The routes between pod CIDRs (pure): the host reaches every node's pods via that node's IP, and each node
 * reaches every other node's pods the same way, like a VPC route table. `podCidrs[i]` belongs to `plan.nodes[i]`.
 */
export function podRoutes(plan: NetworkPlan, podCidrs: string[]): { host: Route[]; nodes: Array<{ netns: string; routes: Route[] }> } {
  if (podCidrs.length !== plan.nodes.length) throw new Error(`${podCidrs.length} podCIDRs for ${plan.nodes.length} nodes`);
  const all = plan.nodes.map((n, i) => ({ dst: podCidrs[i]!, via: n.nodeIP }));
  return {
    host: all,
    nodes: plan.nodes.map((n) => ({ netns: n.netns, routes: all.filter((r) => r.via !== n.nodeIP) })),
  };
}

export interface ClientNetwork {
  netns: string;
  hostVeth: string;
  clientVeth: string;
  ip: string;
  /** The Service CIDR through a node, as a client outside the cluster reaches ClusterIPs through a gateway node. */
  routes: Route[];
}

/** A client namespace on the node subnet (pure); `slot` 0.. picks its address. */
export function planClient(instance: string, plan: NetworkPlan, name: string, slot: number, serviceCidr: string, gatewayNode = 0): ClientNetwork {
  if (!/^[a-z0-9]{1,12}$/.test(name)) throw new Error(`client name "${name}" must be 1-12 lower-case letters or digits`);
  if (!Number.isInteger(slot) || slot < 0 || slot > 50) throw new Error(`client slot must be 0 to 50 (got ${slot})`);
  const gw = plan.nodes[gatewayNode];
  if (!gw) throw new Error(`no node ${gatewayNode} to route the clients' Service traffic through`);
  const h = shortHash(`${instance}/${name}`, 11);
  return {
    netns: `${netnsPrefix(instance)}client-${name}`,
    hostVeth: `ffc${h}h`,
    clientVeth: `ffc${h}c`,
    ip: `10.213.${plan.index}.${FIRST_CLIENT_HOST + slot}`,
    routes: [{ dst: serviceCidr, via: gw.nodeIP }],
  };
}

/** The first /24 index whose addresses no interface on this host uses. */
export function freeSubnetIndex(): number {
  const used = ip('-o', '-4', 'addr', 'show');
  for (let i = 0; i < 155; i++) if (!used.includes(`10.213.${i}.`)) return i;
  throw new Error('no free 10.213.x.0/24 subnet for the real nodes');
}

export const netnsPath = (netns: string) => `/run/netns/${netns}`;

function sysctlIn(netns: string, key: string, value: string): void {
  execFileSync('nsenter', [`--net=${netnsPath(netns)}`, '--', 'sysctl', '-q', '-w', `${key}=${value}`]);
}

/** A namespace joined to the bridge by a veth pair, with `addr` on its end. */
function attach(plan: NetworkPlan, netns: string, hostVeth: string, innerVeth: string, addr: string): void {
  if (existsSync(netnsPath(netns))) throw new Error(`network namespace ${netns} already exists; run "fedfeat dev down" first`);
  ip('netns', 'add', netns);
  ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', innerVeth);
  ip('link', 'set', innerVeth, 'netns', netns);
  ip('link', 'set', hostVeth, 'master', plan.bridge);
  ip('link', 'set', hostVeth, 'up');
  const inNs = (...args: string[]) => ip('-n', netns, ...args);
  inNs('link', 'set', 'lo', 'up');
  inNs('addr', 'add', `${addr}/24`, 'dev', innerVeth);
  inNs('link', 'set', innerVeth, 'up');
}

/** The bridge and every node's namespace; routes between pod CIDRs come later (addRoutes), once they are assigned. */
export function createNetwork(plan: NetworkPlan): void {
  ip('link', 'add', plan.bridge, 'type', 'bridge');
  ip('addr', 'add', `${plan.hostIP}/24`, 'dev', plan.bridge);
  ip('link', 'set', plan.bridge, 'up');
  for (const n of [...plan.nodes, ...(plan.hostNode ? [plan.hostNode] : [])]) {
    attach(plan, n.netns, n.hostVeth, n.nodeVeth, n.nodeIP);
    // Pods and host-network processes reach the host (the API server) through the node's default route.
    ip('-n', n.netns, 'route', 'add', 'default', 'via', plan.hostIP);
    sysctlIn(n.netns, 'net.ipv4.ip_forward', '1');
    // kube-proxy needs bridged pod traffic to pass iptables (a pod reaching a Service backed by a pod on the same node).
    if (existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) sysctlIn(n.netns, 'net.bridge.bridge-nf-call-iptables', '1');
  }
}

/** Installs the routes between pod CIDRs in the host and in every node (idempotent). */
export function addRoutes(routes: ReturnType<typeof podRoutes>, bridge: string): void {
  for (const r of routes.host) ip('route', 'replace', r.dst, 'via', r.via, 'dev', bridge);
  for (const n of routes.nodes) for (const r of n.routes) ip('-n', n.netns, 'route', 'replace', r.dst, 'via', r.via);
}

/** A client namespace on the node subnet whose Service traffic goes through a node's kube-proxy. */
export function createClient(plan: NetworkPlan, c: ClientNetwork): void {
  attach(plan, c.netns, c.hostVeth, c.clientVeth, c.ip);
  for (const r of c.routes) ip('-n', c.netns, 'route', 'replace', r.dst, 'via', r.via);
}

export function deleteNamespace(netns: string): boolean {
  if (!existsSync(netnsPath(netns))) return false;
  ip('netns', 'del', netns); // its veth ends go, and with them their peers on the bridge
  return true;
}

/** This instance's namespaces (nodes and clients) that exist now. */
export function instanceNamespaces(instance: string): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns').filter((n) => n.startsWith(netnsPrefix(instance)));
}

/** Removes every namespace of the instance, their veths and the bridge (and with it the host routes); safe on a partial network. */
export function deleteNetwork(instance: string, plan: { bridge: string; nodes: Array<Pick<NodeNetwork, 'hostVeth'>> }): string[] {
  const done: string[] = [];
  for (const ns of instanceNamespaces(instance)) if (deleteNamespace(ns)) done.push(`netns ${ns}`);
  for (const veth of plan.nodes.map((n) => n.hostVeth)) {
    try {
      ip('link', 'del', veth); // normally gone with its namespace
      done.push(`veth ${veth}`);
    } catch {
      /* already gone */
    }
  }
  try {
    ip('link', 'del', plan.bridge);
    done.push(`bridge ${plan.bridge}`);
  } catch {
    /* already gone */
  }
  return done;
}

/** A command prefix that runs a program in a namespace's network but the host's mount namespace. */
export function inNodeNetns(netns: string, command: string[], mountNs?: string): string[] {
  // `ip netns exec` would also make a private mount namespace per command, hiding the kubelet's volume mounts
  // from containerd; nsenter --net joins only the network, and --mount the node's own mount namespace
  // (real-node/mount-ns.ts) that containerd and the kubelet share.
  return ['nsenter', `--net=${netnsPath(netns)}`, ...(mountNs ? [`--mount=${mountNs}`] : []), '--', ...command];
}
