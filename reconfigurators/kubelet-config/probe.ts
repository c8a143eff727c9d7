// Do the member's kubelets run the desired settings? gather() lists the nodes
// and reads every kubelet's live configuration once (through the member API
// server's node proxy, /configz, bounded concurrency); the rules decide
// (pure); reconfigure works on the nodes the probe found differing.
import type { KubeletSettings } from '../../api/featureconfig.js';
import type { KubeObject } from '../../kube-client/client.js';
import type { Rule } from '../decision.js';
import type { NodeResult } from '../types.js';

export type KubeletConfig = Record<string, unknown>;
export type Node = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

export interface NodeConfig {
  node: string;
  config?: KubeletConfig;
  simulated?: boolean;
  error?: string;
}

export interface KubeletObserved {
  nodes: Node[];
  results: NodeResult[];
}

/** Whether a node carries the simulated-node annotation (KEY or KEY=VALUE), e.g. KWOK's. */
export function isSimulated(node: KubeObject, annotation?: string): boolean {
  if (!annotation) return false;
  const [k, v] = annotation.split('=', 2) as [string, string | undefined];
  const actual = node.metadata.annotations?.[k];
  return actual !== undefined && (v === undefined || actual === v);
}

const RESOURCE_FIELDS = ['kubeReserved', 'systemReserved'] as const;

/** Kubelet defaults for fields /configz may omit. */
const DEFAULTS: Record<string, unknown> = { cpuManagerPolicy: 'none', reservedSystemCPUs: '' };

/** Fields of `desired` that the live config does not match (pure). */
export function kubeletMismatches(desired: KubeletSettings, actual: KubeletConfig): string[] {
  const out: string[] = [];
  // A running kubelet with reservedSystemCPUs has replaced the CPU of kubeReserved and systemReserved (it
  // drops kubeReserved.cpu and sets systemReserved.cpu to the number of CPUs), and /configz shows the
  // replaced maps (seen on the real node: kubeReserved.cpu gone): a desired cpu figure cannot be seen
  // there, so it is not compared.
  const cpuReplaced = typeof actual.reservedSystemCPUs === 'string' && actual.reservedSystemCPUs !== '';
  for (const [field, want] of Object.entries(desired)) {
    if (want === undefined) continue;
    const have = actual[field];
    if (RESOURCE_FIELDS.includes(field as (typeof RESOURCE_FIELDS)[number])) {
      const haveMap = (have ?? {}) as Record<string, string>;
      for (const [res, qty] of Object.entries(want as Record<string, string>)) {
        if (res === 'cpu' && cpuReplaced) continue;
        if (haveMap[res] !== qty) out.push(`${field}.${res} is ${haveMap[res] ?? 'unset'}, want ${qty}`);
      }
    } else if ((have ?? DEFAULTS[field]) !== want) {
      out.push(`${field} is ${String(have ?? DEFAULTS[field] ?? 'unset')}, want ${String(want)}`);
    }
  }
  return out;
}

/** One verdict per node (pure). */
export function nodeResults(configs: NodeConfig[], desired: KubeletSettings): NodeResult[] {
  return configs.map((c) => {
    if (c.simulated) return { node: c.node, state: 'simulated', message: 'simulated node: no kubelet to probe' };
    if (!c.config) return { node: c.node, state: 'unreachable', message: c.error ?? 'no answer' };
    const diff = kubeletMismatches(desired, c.config);
    return diff.length ? { node: c.node, state: 'mismatch', message: diff.join('; ') } : { node: c.node, state: 'ok', message: 'matches' };
  });
}

const real = (o: KubeletObserved) => o.results.filter((n) => n.state !== 'simulated');
const note = (o: KubeletObserved) => {
  const simulated = o.results.length - real(o).length;
  return simulated ? ` (${simulated} simulated nodes not probed)` : '';
};
const list = (ns: NodeResult[]) => ns.map((n) => `${n.node}: ${n.message}`).join('; ');

/** The decision chain: nothing to probe, then differing nodes (act), then silent ones (cannot tell), else Supported. */
export const KUBELET_RULES: ReadonlyArray<Rule<KubeletObserved>> = [
  (o) => (real(o).length ? undefined : { state: 'Unknown', reason: 'NoKubeletToProbe', message: `no node with a kubelet to probe${note(o)}` }),
  (o) => {
    const m = real(o).filter((n) => n.state === 'mismatch');
    return m.length ? { state: 'Missing', reason: 'KubeletConfigDiffers', message: `${m.length}/${real(o).length} nodes differ: ${list(m)}${note(o)}` } : undefined;
  },
  (o) => {
    const u = real(o).filter((n) => n.state === 'unreachable');
    return u.length ? { state: 'Unknown', reason: 'KubeletUnreachable', message: `${u.length}/${real(o).length} nodes did not answer /configz: ${list(u)}${note(o)}` } : undefined;
  },
  (o) => ({ state: 'Supported', reason: 'KubeletConfigured', message: `all ${real(o).length} nodes run the desired kubelet settings${note(o)}` }),
];
