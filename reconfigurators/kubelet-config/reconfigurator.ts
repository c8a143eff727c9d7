// The kubelet tactic: kubelet settings changed on every node by a short-lived
// privileged agent pod, one node (or maxUnavailableNodes) at a time; the next
// node starts only when the previous one is Ready and its /configz shows the
// desired values; the first failure stops the rollout. Nodes that join later
// or come back reset are found by the next probe and done the same way.
// With drainNodes, each node is cordoned and drained (Eviction API, PDBs
// respected) before its restart and uncordoned once verified, or on failure.
import type { DesiredFeature, KubeletSettings } from '../../api/featureconfig.js';
import { checkSettings } from '../../daemonset-scripts/kubelet-agent/config-file.js';
import { waitFor } from '../../kube-client/wait.js';
import { decide } from '../decision.js';
import { probeUntilSupported } from '../run.js';
import type { MemberContext, ProbeResult, Reconfigurator, ReconfigureOutcome } from '../types.js';
import { heldByJoin } from '../rbac.js';
import { AGENT_APP, AGENT_NAMESPACE, AGENT_NETWORK_POLICY, planBatches, renderAgentSupport } from './agent-pod.js';
import { AgentPodKubelets, type NodeKubelets } from './node-kubelets.js';
import { KUBELET_RULES, kubeletMismatches, nodeResults, type KubeletObserved, type Node } from './probe.js';
import { cordonedByFedfeat, withLeftCordons } from './drain.js';
import { cordon, DEFAULT_DRAIN_OPTIONS, drain, drainRefusals, uncordon, type DrainOptions } from './node-drain.js';

export { AGENT_IMAGE_ANNOTATION, RESTART_ANNOTATION } from './node-kubelets.js';
export const FIELD_MANAGER = 'fedfeat-kubelet-config';

export interface KubeletTacticOptions {
  /** Longest the agent waits for the kubelet to be healthy after a restart (then rolls back). */
  agentTimeoutSeconds: number;
  /** Longest to wait for a node to be Ready with the desired /configz after its agent finished. */
  nodeReadyTimeoutSeconds: number;
  /** With drainNodes: the drain's deadline and the pause between evictions a PodDisruptionBudget refused. */
  drain?: DrainOptions;
}

export const DEFAULT_KUBELET_OPTIONS: KubeletTacticOptions = { agentTimeoutSeconds: 120, nodeReadyTimeoutSeconds: 180, drain: DEFAULT_DRAIN_OPTIONS };

const kubeletOf = (f: DesiredFeature): KubeletSettings => {
  if (!('kubelet' in f)) throw new Error(`kubelet-config cannot handle feature ${f.name}`);
  return f.kubelet;
};
const nodePath = (node: string) => `/api/v1/nodes/${encodeURIComponent(node)}`;

export class KubeletConfigReconfigurator implements Reconfigurator<KubeletObserved> {
  readonly name = 'kubelet-config';
  readonly features = ['cpumanagementpolicy', 'kubelet'] as const;

  constructor(
    private readonly o: KubeletTacticOptions = DEFAULT_KUBELET_OPTIONS,
    private readonly kubelets: NodeKubelets = new AgentPodKubelets(),
  ) {}

  async probe(ctx: MemberContext, feature: DesiredFeature): Promise<ProbeResult<KubeletObserved>> {
    const nodes = (await ctx.client.list<Node>('/api/v1/nodes', { timeoutMs: ctx.options.requestTimeoutMs })).items;
    const results = withLeftCordons(nodeResults(await this.kubelets.readConfigs(ctx, nodes), kubeletOf(feature)), nodes);
    const observed = { nodes, results };
    return { ...decide(observed, KUBELET_RULES), nodes: results, observed };
  }

  async reconfigure(ctx: MemberContext, feature: DesiredFeature, probe: ProbeResult<KubeletObserved>): Promise<ReconfigureOutcome> {
    const desired = kubeletOf(feature);
    checkSettings(desired as Record<string, unknown>); // refuse before touching any node
    const todo = probe.observed.results.filter((n) => n.state === 'mismatch').map((n) => n.node);
    if (!todo.length) return { changed: false, message: 'no node needs a change' };
    const byName = new Map(probe.observed.nodes.map((n) => [n.metadata.name, n]));
    const max = 'maxUnavailableNodes' in feature && feature.maxUnavailableNodes ? feature.maxUnavailableNodes : 1;
    const drainNodes = 'drainNodes' in feature && feature.drainNodes === true;
    const batches = planBatches(todo, max);
    if (drainNodes) {
      // Pods nothing would bring back stop the rollout before any node is cordoned.
      const refused = (await Promise.all(todo.map((n) => drainRefusals(ctx, n)))).flat();
      if (refused.length) throw new Error(`drainNodes: cannot drain: ${refused.join('; ')}`);
    }
    await this.ensureSupport(ctx);
    const done: string[] = [];
    for (const [i, batch] of batches.entries()) {
      ctx.event('Normal', 'NodesReconfiguring', `batch ${i + 1}/${batches.length}: ${batch.join(', ')} (maxUnavailableNodes ${max}${drainNodes ? ', drained first' : ''})`);
      ctx.progress?.(`${done.length}/${todo.length} nodes done; now ${batch.join(', ')}`);
      const results = await Promise.allSettled(batch.map((node) => this.reconfigureNode(ctx, byName.get(node)!, desired, drainNodes)));
      const failed = results.flatMap((r, j) => (r.status === 'rejected' ? [`node ${batch[j]}: ${(r.reason as Error).message}`] : []));
      if (failed.length) throw new Error(`stopped after ${done.length} nodes: ${failed.join('; ')}`);
      done.push(...batch);
    }
    return { changed: true, message: `${done.length} nodes reconfigured, ${max} at a time${drainNodes ? ', each drained first' : ''}: ${done.join(', ')}` };
  }

  /**
   * One node: (cordon, drain), agent, Ready with the desired /configz, (uncordon). Any failure uncordons what
   * fedfeat cordoned, so a stopped rollout leaves no node unschedulable.
   */
  private async reconfigureNode(ctx: MemberContext, node: Node, desired: KubeletSettings, drainNodes: boolean): Promise<void> {
    const name = node.metadata.name;
    const leftCordoned = cordonedByFedfeat(node);
    let ours = leftCordoned;
    try {
      if (drainNodes) {
        ours = (await cordon(ctx, name)) || leftCordoned;
        ctx.progress?.(`node ${name}: cordoned, draining`);
        await drain(ctx, name, this.o.drain ?? DEFAULT_DRAIN_OPTIONS);
        ctx.progress?.(`node ${name}: drained, restarting its kubelet`);
      }
      const r = await this.kubelets.runAgent(ctx, { node, mode: 'apply', settings: desired, timeoutSeconds: this.o.agentTimeoutSeconds });
      const bad = r.result === 'rolled-back' || r.result === 'error';
      const line = `${r.result}: ${r.message}${r.restartSeconds ? ` (kubelet back in ${r.restartSeconds.toFixed(1)}s)` : ''}`;
      ctx.event(bad ? 'Warning' : 'Normal', bad ? 'NodeFailed' : 'NodeReconfigured', `node ${name}: ${line}`);
      if (bad) throw new Error(r.message);
      await this.waitNodeConfigured(ctx, name, desired);
    } catch (e) {
      if (ours) {
        ctx.event('Warning', 'DrainUndone', `node ${name}: ${(e as Error).message.slice(0, 300)}; uncordoning it`);
        await uncordon(ctx, name, 'its reconfiguration failed').catch((u: Error) => ctx.log.warn('uncordon failed', { cluster: ctx.cluster, node: name, error: u.message }));
      }
      throw e;
    }
    if (ours) await uncordon(ctx, name, 'kubelet verified with the new settings');
  }

  private async ensureSupport(ctx: MemberContext): Promise<void> {
    for (const obj of renderAgentSupport()) await ctx.client.applyObject(obj, FIELD_MANAGER);
  }

  /** The node is Ready again and its kubelet reports the desired settings. */
  private async waitNodeConfigured(ctx: MemberContext, node: string, desired: KubeletSettings): Promise<void> {
    await waitFor(`node ${node} Ready with the desired kubelet settings`, async () => {
      const n = await ctx.client.get<Node>(nodePath(node));
      if (!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) throw new Error('node not Ready');
      const [cfg] = await this.kubelets.readConfigs(ctx, [n]);
      const diff = cfg?.config ? kubeletMismatches(desired, cfg.config) : [cfg?.error ?? 'no /configz answer'];
      if (diff.length) throw new Error(diff.join('; ')); // kept as the reason if time runs out
      return true;
    }, { timeoutMs: this.o.nodeReadyTimeoutSeconds * 1000, intervalMs: 1000, signal: ctx.signal });
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult<KubeletObserved>> {
    return probeUntilSupported(this, ctx, feature, timeoutMs);
  }

  async revert(ctx: MemberContext): Promise<ReconfigureOutcome> {
    const nodes = (await ctx.client.list<Node>('/api/v1/nodes')).items;
    // Every node with a kubelet: its agent restores fedfeat's backup, if there is one.
    const real = nodes.filter((n) => this.kubelets.hasKubelet(ctx, n)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const reverted: string[] = [];
    const nsPath = `/api/v1/namespaces/${AGENT_NAMESPACE}`;
    const ns = await ctx.client.getOptional(nsPath);
    if (!ns && !real.length) return { changed: false, message: 'nothing of fedfeat on the member' };
    if (real.length) await this.ensureSupport(ctx);
    for (const node of real) {
      const r = await this.kubelets.runAgent(ctx, { node, mode: 'revert', settings: {}, timeoutSeconds: this.o.agentTimeoutSeconds });
      if (r.result === 'error' || r.result === 'rolled-back') throw new Error(`revert stopped at node ${node.metadata.name}: ${r.message}`);
      if (r.result === 'reverted') reverted.push(node.metadata.name);
      ctx.event('Normal', 'NodeReverted', `node ${node.metadata.name}: ${r.message}`);
    }
    // The namespace is the tactic's alone (agent pods, their NetworkPolicy): it goes, and revert waits until it is gone.
    // Unless `fedfeat join` holds it (its Role for the agent pods is in there): then only its content goes.
    if (heldByJoin(ns)) {
      await ctx.client.delete(`/apis/networking.k8s.io/v1/namespaces/${AGENT_NAMESPACE}/networkpolicies/${AGENT_NETWORK_POLICY}`);
      await ctx.client.apply(nsPath, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NAMESPACE } }, FIELD_MANAGER); // the tactic's labels go
      return { changed: reverted.length > 0, message: reverted.length ? `restored the original kubelet config on ${reverted.join(', ')}` : 'no node had a fedfeat change' };
    }
    await ctx.client.delete(nsPath);
    await ctx.client.waitGone([nsPath], 120_000);
    return { changed: reverted.length > 0, message: reverted.length ? `restored the original kubelet config on ${reverted.join(', ')}` : 'no node had a fedfeat change' };
  }
}

export { AGENT_APP };
