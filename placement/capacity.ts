// How many more replicas of a pod fit a member: mck8s's estimate, Σ over
// nodes of min(⌊free CPU / request⌋, ⌊free memory / request⌋), with free =
// allocatable − requests of the node's non-terminated pods. Beyond mck8s:
// only Ready, schedulable nodes whose taints the pod tolerates count, the
// node's free pod slots bound it too (a pod without requests would otherwise
// fit infinitely), requests are the scheduler's (init containers, overhead),
// and the placement's own pods are not subtracted, so a member running some
// of its replicas does not look full of them at the next decision. Pure.
import type { Container, PodSpec } from '../api/featureplacement.js';
import { parseQuantity } from '../daemonset-scripts/kubelet-agent/kubelet-rules.js';
import type { KubeObject } from '../kube-client/client.js';

export interface Resources {
  /** CPU in millicores. */
  cpu: number;
  /** Memory in bytes. */
  memory: number;
}

export interface Taint { key: string; value?: string; effect: string }
export interface Toleration { key?: string; operator?: 'Exists' | 'Equal'; value?: string; effect?: string }

export type NodeObject = KubeObject & {
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: { allocatable?: Record<string, string>; conditions?: Array<{ type: string; status: string }> };
};

export type PodObject = KubeObject & {
  spec?: PodSpec & { nodeName?: string; tolerations?: Toleration[] };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason?: string; lastTransitionTime?: string }> };
};

const cpuOf = (q: string | undefined) => Math.round((parseQuantity(q) ?? 0) * 1000);
const memOf = (q: string | undefined) => Math.round(parseQuantity(q) ?? 0);

function containerRequests(c: Container): Resources {
  // A limit without a request defaults the request to the limit (API server defaulting).
  const r = { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) };
  return { cpu: cpuOf(r.cpu), memory: memOf(r.memory) };
}

/** What the scheduler counts for a pod: max(Σ containers, each init container) + overhead. */
export function podRequests(spec: PodSpec | undefined): Resources {
  const sum = { cpu: 0, memory: 0 };
  for (const c of spec?.containers ?? []) {
    const r = containerRequests(c);
    sum.cpu += r.cpu;
    sum.memory += r.memory;
  }
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c);
    sum.cpu = Math.max(sum.cpu, r.cpu);
    sum.memory = Math.max(sum.memory, r.memory);
  }
  sum.cpu += cpuOf(spec?.overhead?.cpu);
  sum.memory += memOf(spec?.overhead?.memory);
  return sum;
}

export const isTerminated = (p: PodObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

function tolerates(tolerations: Toleration[], t: Taint): boolean {
  return tolerations.some((tol) => {
    if (tol.effect && tol.effect !== t.effect) return false;
    if (!tol.key) return tol.operator === 'Exists';
    if (tol.key !== t.key) return false;
    return tol.operator === 'Exists' || (tol.value ?? '') === (t.value ?? '');
  });
}

/** Whether a pod with these tolerations may be scheduled on the node at all. */
export function nodeUsable(node: NodeObject, tolerations: Toleration[] = []): boolean {
  if (node.spec?.unschedulable) return false;
  if (node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') return false;
  return (node.spec?.taints ?? []).every((t) => (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') || tolerates(tolerations, t));
}

export interface NodeFree extends Resources {
  name: string;
  /** Pod slots left (allocatable pods − non-terminated pods). */
  pods: number;
}

/** Requests summed over pods, and how many pods: what a node's free resources are reduced by. */
export interface Usage extends Resources {
  pods: number;
}

const requestsCache = new WeakMap<object, Resources>();
/** podRequests, parsed once per pod object (cache objects are replaced, never changed, on update). */
export function cachedPodRequests(p: PodObject): Resources {
  let r = requestsCache.get(p);
  if (!r) requestsCache.set(p, (r = podRequests(p.spec)));
  return r;
}

const allocatableCache = new WeakMap<object, Usage>();
function allocatable(n: NodeObject): Usage {
  let a = allocatableCache.get(n);
  if (!a) {
    const x = n.status?.allocatable ?? {};
    allocatableCache.set(n, (a = { cpu: cpuOf(x.cpu), memory: memOf(x.memory), pods: Math.floor(parseQuantity(x.pods) ?? 110) }));
  }
  return a;
}

/** Adds (sign 1) or removes (sign -1) a pod's requests to its node's usage; terminated and unscheduled pods count nowhere. */
export function addUsage(usage: Map<string, Usage>, p: PodObject, sign: 1 | -1): void {
  const node = p.spec?.nodeName;
  if (!node || isTerminated(p)) return;
  const r = cachedPodRequests(p);
  const u = usage.get(node) ?? { cpu: 0, memory: 0, pods: 0 };
  u.cpu += sign * r.cpu;
  u.memory += sign * r.memory;
  u.pods += sign;
  if (u.pods === 0) usage.delete(node);
  else usage.set(node, u);
}

/** Free resources of each node from per-node usage (kept by the member cache), giving back the `own` usage. */
export function nodesFreeFromUsage(nodes: NodeObject[], used: Map<string, Usage>, own: Map<string, Usage> = new Map()): NodeFree[] {
  return nodes.map((n) => {
    const a = allocatable(n);
    const u = used.get(n.metadata.name);
    const o = own.get(n.metadata.name);
    return {
      name: n.metadata.name,
      cpu: a.cpu - (u?.cpu ?? 0) + (o?.cpu ?? 0),
      memory: a.memory - (u?.memory ?? 0) + (o?.memory ?? 0),
      pods: a.pods - (u?.pods ?? 0) + (o?.pods ?? 0),
    };
  });
}

/** Per-node usage of a list of pods. */
export function usageByNode(pods: Iterable<PodObject>): Map<string, Usage> {
  const m = new Map<string, Usage>();
  for (const p of pods) addUsage(m, p, 1);
  return m;
}

/** Free resources of each node: allocatable minus the requests of its non-terminated pods, except those `own` says to keep. */
export function nodesFree(nodes: NodeObject[], podsByNode: Map<string, PodObject[]>, own: (p: PodObject) => boolean = () => false): NodeFree[] {
  const all = [...podsByNode.values()].flat();
  return nodesFreeFromUsage(nodes, usageByNode(all), usageByNode(all.filter(own)));
}

/** Replicas of a pod with `req` that fit one node: mck8s's min over CPU and memory, bounded by free pod slots. */
export function nodeFit(free: NodeFree, req: Resources): number {
  const by = (have: number, need: number) => (need > 0 ? Math.floor(Math.max(0, have) / need) : Number.POSITIVE_INFINITY);
  return Math.max(0, Math.min(by(free.cpu, req.cpu), by(free.memory, req.memory), free.pods));
}

/** A member's capacity for the pod: Σ over the nodes that count of their fit. */
export function memberCapacity(free: NodeFree[], req: Resources): number {
  return free.reduce((s, n) => s + nodeFit(n, req), 0);
}
