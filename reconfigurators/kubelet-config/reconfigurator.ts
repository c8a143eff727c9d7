// The kubelet tactic: kubelet settings changed on every node by a short-lived
// privileged agent pod, one node (or maxUnavailableNodes) at a time; the next
// node starts only when the previous one is Ready and its /configz shows the
// desired values; the first failure stops the rollout. Nodes that join later
// or come back reset are found by the next probe and done the same way.
import type { DesiredFeature, KubeletSettings } from '../../api/featureconfig.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../../kube-client/client.js';
import { checkSettings } from '../../daemonset-scripts/kubelet-agent/config-file.js';
import type { AgentResult } from '../../daemonset-scripts/kubelet-agent/main.js';
import { isSimulated, kubeletMismatches, nodeResults, readNodeConfigs } from './probe.js';
import { probeUntilSupported, type MemberContext, type ProbeResult, type Reconfigurator, type ReconfigureOutcome } from '../types.js';
import { AGENT_APP, AGENT_COMMAND, AGENT_NAMESPACE, DEFAULT_AGENT_IMAGE, planBatches, renderAgentPod, renderAgentSupport } from './agent-pod.js';
import { sleep } from '../../kube-client/wait.js';

/** KubeFedCluster annotation: the agent image for this member (a mirror, or a locally imported image). */
export const AGENT_IMAGE_ANNOTATION = 'fedfeat.io/node-agent-image';
/** Node annotation: how the node restarts its kubelet when not with systemd (e.g. "signal": a supervisor restarts it). */
export const RESTART_ANNOTATION = 'fedfeat.io/kubelet-restart';
export const FIELD_MANAGER = 'fedfeat-kubelet-config';

export interface KubeletTacticOptions {
  /** Longest the agent waits for the kubelet to be healthy after a restart (then rolls back). */
  agentTimeoutSeconds: number;
  /** Longest to wait for a node to be Ready with the desired /configz after its agent finished. */
  nodeReadyTimeoutSeconds: number;
  /**
   * Ordering tests only: nodes matching this annotation (KWOK's) take part in the rollout with a simulated
   * kubelet — their "config" is the node annotation fedfeat.io/simulated-kubeletconfig, and the agent's effect
   * (or a failure, with annotation fedfeat.io/simulate-failure) is applied by fedfeat once the agent pod runs.
   */
  simulateNodes?: string;
}

export const SIMULATED_CONFIG_ANNOTATION = 'fedfeat.io/simulated-kubeletconfig';
export const SIMULATE_FAILURE_ANNOTATION = 'fedfeat.io/simulate-failure';

export const DEFAULT_KUBELET_OPTIONS: KubeletTacticOptions = { agentTimeoutSeconds: 120, nodeReadyTimeoutSeconds: 180 };

type Pod = KubeObject & { status?: { phase?: string; containerStatuses?: Array<{ state?: { terminated?: { exitCode: number; message?: string; reason?: string } } }> } };
type Node = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

const kubeletOf = (f: DesiredFeature): KubeletSettings => {
  if (!('kubelet' in f)) throw new Error(`kubelet-config cannot handle feature ${f.name}`);
  return f.kubelet;
};

export class KubeletConfigReconfigurator implements Reconfigurator {
  readonly name = 'kubelet-config';
  readonly features = ['cpumanagementpolicy', 'kubelet'] as const;
  readonly canReconfigure = true;

  constructor(private readonly o: KubeletTacticOptions = DEFAULT_KUBELET_OPTIONS) {}

  async probe(ctx: MemberContext, feature: DesiredFeature): Promise<ProbeResult> {
    const desired = kubeletOf(feature);
    let nodes = nodeResults(await readNodeConfigs(ctx.client, ctx.options), desired);
    if (this.o.simulateNodes) {
      const all = new Map((await ctx.client.list<KubeObject>('/api/v1/nodes')).items.map((n) => [n.metadata.name, n]));
      nodes = nodes.map((n) => {
        const node = all.get(n.node);
        if (n.state !== 'simulated' || !node || !isSimulated(node, this.o.simulateNodes!)) return n;
        const diff = kubeletMismatches(desired, simulatedConfig(node));
        return diff.length ? { node: n.node, state: 'mismatch', message: `${diff.join('; ')} (simulated kubelet)` } : { node: n.node, state: 'ok', message: 'matches (simulated kubelet)' };
      });
    }
    const real = nodes.filter((n) => n.state !== 'simulated');
    const simulated = nodes.length - real.length;
    const note = simulated ? ` (${simulated} simulated nodes not probed)` : '';
    const mismatched = real.filter((n) => n.state === 'mismatch');
    const unreachable = real.filter((n) => n.state === 'unreachable');
    if (!real.length) return { state: 'Unknown', reason: 'NoKubeletToProbe', message: `no node with a kubelet to probe${note}`, nodes };
    if (mismatched.length) {
      return { state: 'Missing', reason: 'KubeletConfigDiffers', message: `${mismatched.length}/${real.length} nodes differ: ${mismatched.map((n) => `${n.node}: ${n.message}`).join('; ')}${note}`, nodes };
    }
    if (unreachable.length) {
      return { state: 'Unknown', reason: 'KubeletUnreachable', message: `${unreachable.length}/${real.length} nodes did not answer /configz: ${unreachable.map((n) => `${n.node}: ${n.message}`).join('; ')}${note}`, nodes };
    }
    return { state: 'Supported', reason: 'KubeletConfigured', message: `all ${real.length} nodes run the desired kubelet settings${note}`, nodes };
  }

  async reconfigure(ctx: MemberContext, feature: DesiredFeature): Promise<ReconfigureOutcome> {
    const desired = kubeletOf(feature);
    checkSettings(desired as Record<string, unknown>); // refuse before touching any node
    const probe = await this.probe(ctx, feature);
    const todo = (probe.nodes ?? []).filter((n) => n.state === 'mismatch').map((n) => n.node);
    if (!todo.length) return { changed: false, message: 'no node needs a change' };
    const max = 'maxUnavailableNodes' in feature && feature.maxUnavailableNodes ? feature.maxUnavailableNodes : 1;
    const batches = planBatches(todo, max);
    await this.ensureSupport(ctx.client);
    const done: string[] = [];
    for (const [i, batch] of batches.entries()) {
      ctx.event('Normal', 'NodesReconfiguring', `batch ${i + 1}/${batches.length}: ${batch.join(', ')} (maxUnavailableNodes ${max})`);
      ctx.progress?.(`${done.length}/${todo.length} nodes done; now ${batch.join(', ')}`);
      const results = await Promise.all(batch.map((node) => this.runAgent(ctx, node, 'apply', desired)));
      const failed = results.filter((r) => r.result === 'rolled-back' || r.result === 'error');
      for (const r of results) {
        const line = `${r.result}: ${r.message}${r.restartSeconds ? ` (kubelet back in ${r.restartSeconds.toFixed(1)}s)` : ''}`;
        ctx.event(failed.includes(r) ? 'Warning' : 'Normal', failed.includes(r) ? 'NodeFailed' : 'NodeReconfigured', `node ${r.node}: ${line}`);
      }
      if (failed.length) {
        throw new Error(`stopped after ${done.length} nodes: ${failed.map((r) => `node ${r.node}: ${r.message}`).join('; ')}`);
      }
      await Promise.all(batch.map((node) => this.waitNodeConfigured(ctx, node, desired)));
      done.push(...batch);
    }
    return { changed: true, message: `${done.length} nodes reconfigured, ${max} at a time: ${done.join(', ')}` };
  }

  private async ensureSupport(c: KubeClient): Promise<void> {
    for (const obj of renderAgentSupport()) {
      const plural = obj.kind === 'Namespace' ? `/api/v1/namespaces/${obj.metadata.name}` : `/apis/networking.k8s.io/v1/namespaces/${AGENT_NAMESPACE}/networkpolicies/${obj.metadata.name}`;
      await c.apply(plural, obj, FIELD_MANAGER);
    }
  }

  /** Runs one agent pod to completion and returns its report; the pod is deleted afterwards. */
  async runAgent(ctx: MemberContext, node: string, mode: 'apply' | 'revert', settings: KubeletSettings): Promise<AgentResult> {
    const c = ctx.client;
    const n = await c.get<KubeObject>(`/api/v1/nodes/${encodeURIComponent(node)}`);
    const pod = renderAgentPod({
      node, mode, settings, timeoutSeconds: this.o.agentTimeoutSeconds,
      image: ctx.annotations[AGENT_IMAGE_ANNOTATION] ?? DEFAULT_AGENT_IMAGE,
      command: ctx.annotations[AGENT_IMAGE_ANNOTATION] ? ['/usr/local/bin/node', ...AGENT_COMMAND.slice(1)] : AGENT_COMMAND,
      restart: n.metadata.annotations?.[RESTART_ANNOTATION] ?? 'auto',
    });
    const path = `/api/v1/namespaces/${AGENT_NAMESPACE}/pods/${pod.metadata.name}`;
    await this.deletePod(c, path); // a leftover from an interrupted rollout
    await c.post(`/api/v1/namespaces/${AGENT_NAMESPACE}/pods`, pod);
    ctx.log.info('kubelet agent started', { cluster: ctx.cluster, node, mode });
    if (this.o.simulateNodes && isSimulated(n, this.o.simulateNodes)) {
      try {
        return await this.simulateAgent(c, n, path, mode, settings);
      } finally {
        await this.deletePod(c, path).catch(() => undefined);
      }
    }
    try {
      const deadline = Date.now() + (this.o.agentTimeoutSeconds * 2 + 90) * 1000;
      while (Date.now() < deadline && !ctx.signal.aborted) {
        const p = await c.getOptional<Pod>(path);
        const term = p?.status?.containerStatuses?.[0]?.state?.terminated;
        if (term) {
          try {
            return JSON.parse(term.message ?? '') as AgentResult;
          } catch {
            return { result: 'error', node, message: `agent exited ${term.exitCode} (${term.reason ?? ''}) without a report` };
          }
        }
        if (p?.status?.phase === 'Failed') return { result: 'error', node, message: `agent pod failed: ${JSON.stringify(p.status).slice(0, 300)}` };
        await sleep(1000);
      }
      return { result: 'error', node, message: 'agent pod did not finish in time' };
    } finally {
      await this.deletePod(c, path).catch(() => undefined);
    }
  }

  /** Ordering tests: once the agent pod runs on the fake node, do to the node's simulated config what the agent would. */
  private async simulateAgent(c: KubeClient, n: KubeObject, podPath: string, mode: 'apply' | 'revert', settings: KubeletSettings): Promise<AgentResult> {
    const node = n.metadata.name;
    for (let i = 0; i < 120; i++) {
      const p = await c.getOptional<Pod>(podPath);
      if (p?.status?.phase === 'Running') break;
      await sleep(250);
    }
    if (n.metadata.annotations?.[SIMULATE_FAILURE_ANNOTATION]) {
      return { result: 'rolled-back', node, message: 'simulated kubelet did not come back healthy; previous config restored and the kubelet is healthy again' };
    }
    const next = mode === 'revert' ? null : JSON.stringify({ ...simulatedConfig(n), ...settings });
    await c.mergePatch(`/api/v1/nodes/${encodeURIComponent(node)}`, { metadata: { annotations: { [SIMULATED_CONFIG_ANNOTATION]: next } } });
    return { result: mode === 'revert' ? 'reverted' : 'applied', node, changed: Object.keys(settings), message: 'simulated kubelet reconfigured' };
  }

  private async deletePod(c: KubeClient, path: string): Promise<void> {
    if (!(await c.delete(path, { query: { gracePeriodSeconds: 0 } }))) return;
    await c.waitGone([path], 30_000);
  }

  private async waitNodeConfigured(ctx: MemberContext, node: string, desired: KubeletSettings): Promise<void> {
    const deadline = Date.now() + this.o.nodeReadyTimeoutSeconds * 1000;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const n = await ctx.client.get<Node>(`/api/v1/nodes/${encodeURIComponent(node)}`);
        const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (this.o.simulateNodes && isSimulated(n, this.o.simulateNodes)) {
          const diff = kubeletMismatches(desired, simulatedConfig(n));
          if (ready && !diff.length) return;
          last = ready ? diff.join('; ') : 'node not Ready';
          await sleep(500);
          continue;
        }
        const cfg = await ctx.client.get<{ kubeletconfig?: Record<string, unknown> }>(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/configz`, { timeoutMs: 5000 });
        const diff = kubeletMismatches(desired, cfg.kubeletconfig ?? {});
        last = ready ? diff.join('; ') : 'node not Ready';
        if (ready && !diff.length) return;
      } catch (e) {
        last = (e as Error).message;
      }
      await sleep(1000);
    }
    throw new Error(`node ${node} not Ready with the desired settings after ${this.o.nodeReadyTimeoutSeconds}s: ${last}`);
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult> {
    return probeUntilSupported(this, ctx, feature, timeoutMs);
  }

  async revert(ctx: MemberContext): Promise<ReconfigureOutcome> {
    const nodes = await ctx.client.list<KubeObject>('/api/v1/nodes');
    const real = nodes.items.filter((n) => {
      const fake = ctx.options.simulatedNodeAnnotation !== undefined && isSimulated(n, ctx.options.simulatedNodeAnnotation);
      if (!fake) return true; // a real kubelet: its agent restores fedfeat's backup, if there is one
      return this.o.simulateNodes !== undefined && n.metadata.annotations?.[SIMULATED_CONFIG_ANNOTATION] !== undefined;
    }).map((n) => n.metadata.name).sort();
    const reverted: string[] = [];
    const ns = await ctx.client.getOptional(`/api/v1/namespaces/${AGENT_NAMESPACE}`);
    if (!ns && !real.length) return { changed: false, message: 'nothing of fedfeat on the member' };
    if (real.length) await this.ensureSupport(ctx.client);
    for (const node of real) {
      const r = await this.runAgent(ctx, node, 'revert', {});
      if (r.result === 'error' || r.result === 'rolled-back') throw new Error(`revert stopped at node ${node}: ${r.message}`);
      if (r.result === 'reverted') reverted.push(node);
      ctx.event('Normal', 'NodeReverted', `node ${node}: ${r.message}`);
    }
    // The namespace is the tactic's alone (agent pods, their NetworkPolicy): it goes, and revert waits until it is gone.
    const nsPath = `/api/v1/namespaces/${AGENT_NAMESPACE}`;
    await ctx.client.delete(nsPath).catch((e: unknown) => {
      if (!(e instanceof KubeApiError && e.statusCode === 404)) throw e;
    });
    await ctx.client.waitGone([nsPath], 120_000);
    return { changed: reverted.length > 0, message: reverted.length ? `restored the original kubelet config on ${reverted.join(', ')}` : 'no node had a fedfeat change' };
  }


}

/** A fake node's simulated kubelet config (ordering tests). */
function simulatedConfig(n: KubeObject): Record<string, unknown> {
  try {
    return JSON.parse(n.metadata.annotations?.[SIMULATED_CONFIG_ANNOTATION] ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

export { AGENT_APP };
