// Cordon, drain and uncordon one node through the member's API server (the
// I/O of spec.rollout.drainNodes; the rules are in drain.ts). Pods go through
// the Eviction API, so PodDisruptionBudgets decide: a 429 means "not now", and
// the eviction is tried again until a deadline, each refusal shown as progress
// and an Event. Every step is an Event; uncordon undoes only fedfeat's cordon.
import { KubeApiError } from '../../kube-client/client.js';
import { sleep } from '../../kube-client/wait.js';
import type { MemberContext } from '../types.js';
import { AGENT_NAMESPACE } from './agent-pod.js';
import { cordonAction, cordonedByFedfeat, cordonPatch, describePlan, evictionBody, planDrain, uncordonPatch, type CordonNode, type DrainPod } from './drain.js';

export interface DrainOptions {
  /** Longest a drain may take, PDB refusals included; then the node is uncordoned and the rollout stops. */
  drainTimeoutSeconds: number;
  /** Pause between eviction attempts a PodDisruptionBudget refused. */
  evictionRetrySeconds: number;
}

export const DEFAULT_DRAIN_OPTIONS: DrainOptions = { drainTimeoutSeconds: 600, evictionRetrySeconds: 5 };

const nodePath = (node: string) => `/api/v1/nodes/${encodeURIComponent(node)}`;
const ref = (p: DrainPod) => `${p.metadata.namespace}/${p.metadata.name}`;

/** Cordons the node unless it is cordoned already; returns whether fedfeat must uncordon it afterwards. */
export async function cordon(ctx: MemberContext, node: string): Promise<boolean> {
  const n = await ctx.client.get<CordonNode>(nodePath(node));
  const action = cordonAction(n);
  if (action === 'cordoned-by-others') {
    ctx.event('Normal', 'NodeCordoned', `node ${node}: cordoned already (not by fedfeat); it stays cordoned afterwards`);
    return false;
  }
  if (action === 'cordon') await ctx.client.mergePatch(nodePath(node), cordonPatch());
  ctx.event('Normal', 'NodeCordoned', `node ${node}: cordoned before its kubelet restart`);
  ctx.log.info('node cordoned', { cluster: ctx.cluster, node });
  return true;
}

/** Uncordons the node if fedfeat cordoned it (its annotation says so). */
export async function uncordon(ctx: MemberContext, node: string, why: string): Promise<boolean> {
  const n = await ctx.client.get<CordonNode>(nodePath(node));
  if (!cordonedByFedfeat(n)) return false;
  await ctx.client.mergePatch(nodePath(node), uncordonPatch());
  ctx.event('Normal', 'NodeUncordoned', `node ${node}: uncordoned (${why})`);
  ctx.log.info('node uncordoned', { cluster: ctx.cluster, node, why });
  return true;
}

const podsOn = async (ctx: MemberContext, node: string) =>
  (await ctx.client.list<DrainPod>('/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${node}` }, timeoutMs: ctx.options.requestTimeoutMs })).items;

/** Pods that stop a drain before anything is touched (unmanaged pods): their reasons, empty when the drain may go. */
export async function drainRefusals(ctx: MemberContext, node: string): Promise<string[]> {
  return planDrain(await podsOn(ctx, node), AGENT_NAMESPACE).refuse.map((r) => `${r.pod}: ${r.reason}`);
}

/**
 * Evicts every pod the plan names and waits until they are gone from the node. A PDB refusal (429) is
 * retried every evictionRetrySeconds until drainTimeoutSeconds; then this throws, naming the pods and the
 * budget's message.
 */
export async function drain(ctx: MemberContext, node: string, o: DrainOptions): Promise<{ evicted: string[]; seconds: number }> {
  const t0 = Date.now();
  const deadline = t0 + o.drainTimeoutSeconds * 1000;
  const plan = planDrain(await podsOn(ctx, node), AGENT_NAMESPACE);
  if (plan.refuse.length) throw new Error(`node ${node} cannot be drained: ${plan.refuse.map((r) => `${r.pod}: ${r.reason}`).join('; ')}`);
  ctx.event('Normal', 'NodeDraining', describePlan(node, plan));
  let pending = plan.evict;
  const evicted: string[] = [];
  let attempt = 0;
  while (pending.length) {
    if (ctx.signal.aborted) throw new Error(`drain of node ${node} interrupted`);
    const blocked: Array<{ pod: DrainPod; why: string }> = [];
    for (const p of pending) {
      try {
        await ctx.client.post(`/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace!)}/pods/${encodeURIComponent(p.metadata.name)}/eviction`, evictionBody(p));
        evicted.push(ref(p));
      } catch (e) {
        if (e instanceof KubeApiError && e.statusCode === 404) continue; // gone already
        if (e instanceof KubeApiError && e.statusCode === 429) {
          blocked.push({ pod: p, why: budgetMessage(e) });
          continue;
        }
        throw new Error(`eviction of ${ref(p)} from node ${node} failed: ${(e as Error).message}`);
      }
    }
    pending = blocked.map((b) => b.pod);
    if (!pending.length) break;
    const left = Math.round((deadline - Date.now()) / 1000);
    const msg = `node ${node}: eviction of ${blocked.map((b) => `${ref(b.pod)} (${b.why})`).join(', ')} refused; trying again every ${o.evictionRetrySeconds}s, ${Math.max(0, left)}s left`;
    if (Date.now() + o.evictionRetrySeconds * 1000 > deadline) {
      throw new Error(`node ${node} not drained within ${o.drainTimeoutSeconds}s: eviction of ${blocked.map((b) => `${ref(b.pod)} (${b.why})`).join(', ')} still refused by a PodDisruptionBudget`);
    }
    // The first refusal and then one every ~30 s as Events (repeats are folded anyway); every one as progress.
    if (attempt % Math.max(1, Math.round(30 / o.evictionRetrySeconds)) === 0) ctx.event('Warning', 'EvictionBlocked', msg);
    ctx.progress?.(msg);
    ctx.log.info('eviction refused by a disruption budget', { cluster: ctx.cluster, node, pods: blocked.map((b) => ref(b.pod)) });
    attempt++;
    await sleep(o.evictionRetrySeconds * 1000);
  }
  // Evicted pods terminate with their grace period: the drain is done when none of them is left on the node.
  const uids = new Set(plan.evict.map((p) => p.metadata.uid));
  for (;;) {
    const still = (await podsOn(ctx, node)).filter((p) => uids.has(p.metadata.uid));
    if (!still.length) break;
    if (Date.now() > deadline) throw new Error(`node ${node} not drained within ${o.drainTimeoutSeconds}s: ${still.map(ref).join(', ')} still terminating`);
    await sleep(1000);
  }
  const seconds = (Date.now() - t0) / 1000;
  ctx.event('Normal', 'NodeDrained', `node ${node}: ${evicted.length} pods evicted in ${seconds.toFixed(1)}s${evicted.length ? ` (${evicted.join(', ')})` : ''}`);
  return { evicted, seconds };
}

/** The API server's reason for a refused eviction (the budget's message), short. */
function budgetMessage(e: KubeApiError): string {
  try {
    const status = JSON.parse(e.body) as { message?: string; details?: { causes?: Array<{ message?: string }> } };
    return [status.message, ...(status.details?.causes ?? []).map((c) => c.message)].filter(Boolean).join(': ').slice(0, 300) || e.message;
  } catch {
    return e.message;
  }
}
