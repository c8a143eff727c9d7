// Probe: the live kubelet configuration of every node, read from the
// kubelet's /configz through the member API server's node proxy, with bounded
// concurrency and one result per node.
import PQueue from 'p-queue';
import type { KubeletSettings } from '../../api/featureconfig.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import type { NodeResult, ProbeOptions } from '../types.js';

export type KubeletConfig = Record<string, unknown>;

export interface NodeConfig {
  node: string;
  config?: KubeletConfig;
  simulated?: boolean;
  error?: string;
}

/** Whether a node carries the simulated-node annotation (KEY or KEY=VALUE), e.g. KWOK's. */
export function isSimulated(node: KubeObject, annotation?: string): boolean {
  if (!annotation) return false;
  const [k, v] = annotation.split('=', 2) as [string, string | undefined];
  const actual = node.metadata.annotations?.[k];
  return actual !== undefined && (v === undefined || actual === v);
}

export async function readNodeConfigs(client: KubeClient, opts: ProbeOptions): Promise<NodeConfig[]> {
  const nodes = await client.list('/api/v1/nodes', { timeoutMs: opts.requestTimeoutMs });
  const queue = new PQueue({ concurrency: opts.nodeProbeConcurrency });
  return Promise.all(nodes.items.map((n) => queue.add(async (): Promise<NodeConfig> => {
    const node = n.metadata.name;
    if (isSimulated(n, opts.simulatedNodeAnnotation)) return { node, simulated: true };
    try {
      const res = await client.get<{ kubeletconfig?: KubeletConfig }>(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/configz`, { timeoutMs: opts.requestTimeoutMs });
      return res.kubeletconfig ? { node, config: res.kubeletconfig } : { node, error: '/configz answered without kubeletconfig' };
    } catch (e) {
      return { node, error: (e as Error).message };
    }
  }) as Promise<NodeConfig>));
}

const RESOURCE_FIELDS = ['kubeReserved', 'systemReserved'] as const;

/** Fields of `desired` that the live config does not match (pure). */
export function kubeletMismatches(desired: KubeletSettings, actual: KubeletConfig): string[] {
  const out: string[] = [];
  for (const [field, want] of Object.entries(desired)) {
    if (want === undefined) continue;
    const have = actual[field];
    if (RESOURCE_FIELDS.includes(field as (typeof RESOURCE_FIELDS)[number])) {
      const haveMap = (have ?? {}) as Record<string, string>;
      for (const [res, qty] of Object.entries(want as Record<string, string>)) {
        if (haveMap[res] !== qty) out.push(`${field}.${res} is ${haveMap[res] ?? 'unset'}, want ${qty}`);
      }
    } else if ((have ?? defaultOf(field)) !== want) {
      out.push(`${field} is ${String(have ?? defaultOf(field) ?? 'unset')}, want ${String(want)}`);
    }
  }
  return out;
}

/** Kubelet defaults for fields /configz may omit. */
function defaultOf(field: string): unknown {
  return ({ cpuManagerPolicy: 'none', reservedSystemCPUs: '' } as Record<string, unknown>)[field];
}

export function nodeResults(configs: NodeConfig[], desired: KubeletSettings): NodeResult[] {
  return configs.map((c) => {
    if (c.simulated) return { node: c.node, state: 'simulated', message: 'simulated node: no kubelet to probe' };
    if (!c.config) return { node: c.node, state: 'unreachable', message: c.error ?? 'no answer' };
    const diff = kubeletMismatches(desired, c.config);
    return diff.length ? { node: c.node, state: 'mismatch', message: diff.join('; ') } : { node: c.node, state: 'ok', message: 'matches' };
  });
}
