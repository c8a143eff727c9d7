// Cordon and drain before a kubelet restart (spec.rollout.drainNodes), the
// pure part: which pods on a node are evicted, which are left and why, and the
// Node patches. The rules are kubectl drain's defaults, with one difference
// said where it is made: pods with emptyDir volumes are evicted (their scratch
// data goes, as with --delete-emptydir-data), since refusing them would block
// almost every real node.
import type { KubeObject } from '../../kube-client/client.js';

/** Node annotation: fedfeat cordoned this node and uncordons it when done (a node cordoned by someone else is left so). */
export const CORDONED_ANNOTATION = 'fedfeat.io/cordoned-by';
export const CORDONED_BY = 'kubelet-config';

export type DrainPod = KubeObject & {
  metadata: KubeObject['metadata'] & { uid?: string; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>; deletionTimestamp?: string };
  spec?: { nodeName?: string; volumes?: Array<{ name: string; emptyDir?: unknown }> };
  status?: { phase?: string };
};

export interface DrainPlan {
  /** Evicted through the Eviction API, in this order. */
  evict: DrainPod[];
  /** Left on the node, with the reason (DaemonSet, mirror, finished, already terminating, the agent itself). */
  skip: Array<{ pod: string; reason: string }>;
  /** Pods that stop the drain before the node is cordoned: nothing would bring them back. */
  refuse: Array<{ pod: string; reason: string }>;
  /** Pods evicted that lose emptyDir data. */
  emptyDir: string[];
}

const ref = (p: DrainPod) => `${p.metadata.namespace}/${p.metadata.name}`;
const controllerOf = (p: DrainPod) => p.metadata.ownerReferences?.find((o) => o.controller);

/** What draining a node does to each of its pods (pure; kubectl drain's filters). */
export function planDrain(pods: DrainPod[], agentNamespace: string): DrainPlan {
  const plan: DrainPlan = { evict: [], skip: [], refuse: [], emptyDir: [] };
  for (const p of [...pods].sort((a, b) => ref(a).localeCompare(ref(b)))) {
    const owner = controllerOf(p);
    if (p.metadata.annotations?.['kubernetes.io/config.mirror']) plan.skip.push({ pod: ref(p), reason: 'mirror pod (static pod of the kubelet)' });
    else if (p.metadata.namespace === agentNamespace) plan.skip.push({ pod: ref(p), reason: "fedfeat's node agent" });
    else if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') plan.skip.push({ pod: ref(p), reason: `finished (${p.status.phase})` });
    else if (p.metadata.deletionTimestamp) plan.skip.push({ pod: ref(p), reason: 'already terminating' });
    else if (owner?.kind === 'DaemonSet') plan.skip.push({ pod: ref(p), reason: `DaemonSet ${owner.name} (it runs on every node)` });
    else if (!owner) plan.refuse.push({ pod: ref(p), reason: 'not managed by a controller: evicted, it would not come back (delete or move it first)' });
    else {
      plan.evict.push(p);
      if (p.spec?.volumes?.some((v) => v.emptyDir !== undefined)) plan.emptyDir.push(ref(p));
    }
  }
  return plan;
}

/** The Eviction subresource body (policy/v1). */
export function evictionBody(p: DrainPod): Record<string, unknown> {
  return { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: p.metadata.name, namespace: p.metadata.namespace } };
}

/** Merge patch that cordons a node and marks it as cordoned by fedfeat. */
export const cordonPatch = () => ({ metadata: { annotations: { [CORDONED_ANNOTATION]: CORDONED_BY } }, spec: { unschedulable: true } });
/** Merge patch that undoes cordonPatch. */
export const uncordonPatch = () => ({ metadata: { annotations: { [CORDONED_ANNOTATION]: null } }, spec: { unschedulable: null } });

export type CordonNode = KubeObject & { spec?: { unschedulable?: boolean } };

/** Whether fedfeat cordoned this node (and must uncordon it). */
export const cordonedByFedfeat = (n: KubeObject) => n.metadata.annotations?.[CORDONED_ANNOTATION] === CORDONED_BY;

/** What cordoning a node means: fedfeat's own cordon, or nothing to do because someone else's cordon is there (left in place afterwards). */
export function cordonAction(n: CordonNode): 'cordon' | 'ours-already' | 'cordoned-by-others' {
  if (cordonedByFedfeat(n)) return 'ours-already';
  return n.spec?.unschedulable ? 'cordoned-by-others' : 'cordon';
}

/** One line for an Event: what the drain did (pure). */
export function describePlan(node: string, plan: DrainPlan): string {
  const parts = [`${plan.evict.length} pods to evict${plan.evict.length ? ` (${plan.evict.map(ref).join(', ')})` : ''}`];
  if (plan.skip.length) parts.push(`${plan.skip.length} left: ${plan.skip.map((s) => `${s.pod} (${s.reason})`).join(', ')}`);
  if (plan.emptyDir.length) parts.push(`emptyDir data lost: ${plan.emptyDir.join(', ')}`);
  return `node ${node}: ${parts.join('; ')}`;
}

/**
 * A node that fedfeat left cordoned (a drain interrupted by a controller restart) is not done yet, even when
 * its kubelet already runs the desired settings: it counts as differing, so the rollout comes back to it and
 * uncordons it (pure).
 */
export function withLeftCordons<R extends { node: string; state: string; message: string }>(results: R[], nodes: KubeObject[]): R[] {
  const left = new Set(nodes.filter(cordonedByFedfeat).map((n) => n.metadata.name));
  return results.map((r) => (r.state === 'ok' && left.has(r.node) ? { ...r, state: 'mismatch', message: 'left cordoned by an interrupted fedfeat drain' } : r));
}
