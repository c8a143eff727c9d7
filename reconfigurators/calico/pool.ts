// Which IPv4 pool Calico gets on a member (pure). It must cover the pods of
// nodes that join later, so it is the cluster's pod CIDR — named in
// spec.calico.poolCIDR or read from the member (the controller-manager's
// --cluster-cidr, kubeadm's podSubnet) — never a guess from today's nodes and
// never 0.0.0.0/0. IPv6 is refused with its reason: fedfeat configures IPv4
// pools only.
import { parse } from 'yaml';
import type { KubeObject } from '../../kube-client/client.js';
import type { Node } from './probe.js';

export type Pod = KubeObject & { spec?: { containers?: Array<{ command?: string[]; args?: string[] }> } };

/** What the member tells about its cluster pod CIDR (each may be absent or unreadable). */
export interface ClusterCidrSources {
  /** kube-system pods of the kube-controller-manager (static pods on kubeadm-like clusters). */
  controllerManagerPods?: Pod[];
  /** kube-system/kubeadm-config's ClusterConfiguration (YAML). */
  kubeadmClusterConfiguration?: string;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const isV6 = (c: string) => c.includes(':');

function parseV4(cidr: string): { base: number; len: number } | undefined {
  const m = IPV4_CIDR.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const len = Number(m[5]);
  if (octets.some((o) => o > 255) || len > 32) return undefined;
  const n = octets.reduce((a, o) => a * 256 + o, 0);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { base: (n & mask) >>> 0, len };
}

/** True when `inner` lies within `outer` (both IPv4 CIDRs). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseV4(outer);
  const i = parseV4(inner);
  if (!o || !i || i.len < o.len) return false;
  const mask = o.len === 0 ? 0 : (0xffffffff << (32 - o.len)) >>> 0;
  return ((i.base & mask) >>> 0) === o.base;
}

/** A node's pod CIDRs (spec.podCIDRs on dual-stack-aware API servers, else spec.podCIDR). */
export const podCidrsOf = (n: Node): string[] => (n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : []);

/** The IPv4 one of a comma-separated (dual-stack) CIDR list. */
const ipv4Of = (list: string) => list.split(',').map((c) => c.trim()).find((c) => parseV4(c));

/** The cluster pod CIDR as the member reveals it, and where it was read (undefined when it does not). */
export function clusterCidrFrom(s: ClusterCidrSources): { cidr: string; source: string } | undefined {
  for (const pod of s.controllerManagerPods ?? []) {
    for (const c of pod.spec?.containers ?? []) {
      const argv = [...(c.command ?? []), ...(c.args ?? [])];
      for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        const v = a.startsWith('--cluster-cidr=') ? a.slice('--cluster-cidr='.length) : a === '--cluster-cidr' ? argv[i + 1] : undefined;
        const cidr = v && ipv4Of(v);
        if (cidr) return { cidr, source: `--cluster-cidr of pod kube-system/${pod.metadata.name}` };
      }
    }
  }
  if (s.kubeadmClusterConfiguration) {
    try {
      const conf = parse(s.kubeadmClusterConfiguration, { version: '1.1' }) as { networking?: { podSubnet?: string } } | null;
      const cidr = conf?.networking?.podSubnet && ipv4Of(conf.networking.podSubnet);
      if (cidr) return { cidr, source: 'networking.podSubnet of kube-system/kubeadm-config' };
    } catch {
      /* unreadable: as if absent */
    }
  }
  return undefined;
}

/**
 * The pool for this member, or an error saying what to set. `setting` is spec.calico.poolCIDR. Every node's
 * IPv4 podCIDR must lie within the pool (Calico treats addresses outside it as not pods).
 */
export function choosePool(setting: string | undefined, found: { cidr: string; source: string } | undefined, nodes: Node[]): { poolCIDR: string; source: string } {
  const all = nodes.flatMap(podCidrsOf);
  const v6 = all.filter(isV6);
  const v4 = all.filter((c) => !isV6(c));
  if (v6.length && !v4.length) {
    throw new Error(`member is IPv6-only (node podCIDRs ${[...new Set(v6)].slice(0, 3).join(', ')}): fedfeat's Calico mode configures IPv4 pools only; IPv6-only members are not supported`);
  }
  if (v6.length) {
    throw new Error(`member is dual-stack (node podCIDRs include IPv6 ${[...new Set(v6)].slice(0, 2).join(', ')}): fedfeat's Calico mode configures IPv4 only and would leave IPv6 pod traffic without policy; dual-stack members are not supported`);
  }
  const chosen = setting ? { cidr: setting, source: 'spec.calico.poolCIDR' } : found;
  if (!chosen) {
    throw new Error(`the member's cluster pod CIDR cannot be read (no kube-controller-manager pod with --cluster-cidr in kube-system, no kubeadm-config): set spec.calico.poolCIDR to it (fedfeat does not guess it from the ${nodes.length} nodes' podCIDRs: nodes that join later may fall outside)`);
  }
  const p = parseV4(chosen.cidr);
  if (!p) throw new Error(`pool ${chosen.cidr} (from ${chosen.source}) is not an IPv4 CIDR`);
  if (p.len === 0) throw new Error(`pool ${chosen.cidr} (from ${chosen.source}) covers every address; set spec.calico.poolCIDR to the cluster's pod CIDR`);
  const outside = v4.filter((c) => !cidrContains(chosen.cidr, c));
  if (outside.length) throw new Error(`pool ${chosen.cidr} (from ${chosen.source}) does not cover node podCIDRs ${outside.slice(0, 3).join(', ')}`);
  return { poolCIDR: chosen.cidr, source: chosen.source };
}
