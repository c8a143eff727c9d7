// How the kubelet tactic reaches kubelets, behind one interface: read a
// node's live configuration (/configz through the API server's node proxy)
// and run the node agent on it (a short-lived privileged pod). Tests swap in
// a simulation for KWOK nodes, which have no kubelet; production code has
// only this implementation.
import PQueue from 'p-queue';
import type { KubeletSettings } from '../../api/featureconfig.js';
import type { AgentResult } from '../../daemonset-scripts/kubelet-agent/main.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../../kube-client/client.js';
import { waitFor } from '../../kube-client/wait.js';
import type { MemberContext } from '../types.js';
import { AGENT_COMMAND, AGENT_NAMESPACE, DEFAULT_AGENT_IMAGE, renderAgentPod } from './agent-pod.js';
import { isSimulated, type KubeletConfig, type Node, type NodeConfig } from './probe.js';

/** KubeFedCluster annotation: the agent image for this member (a mirror, or a locally imported image). */
export const AGENT_IMAGE_ANNOTATION = 'fedfeat.io/node-agent-image';
/** Node annotation: how the node restarts its kubelet when not with systemd (e.g. "signal": a supervisor restarts it). */
export const RESTART_ANNOTATION = 'fedfeat.io/kubelet-restart';

type Pod = KubeObject & { status?: { phase?: string; containerStatuses?: Array<{ state?: { terminated?: { exitCode: number; message?: string; reason?: string } } }> } };

export interface AgentRun {
  node: Node;
  mode: 'apply' | 'revert';
  settings: KubeletSettings;
  timeoutSeconds: number;
}

export interface NodeKubelets {
  /** Whether fedfeat can act on this node's kubelet at all (simulated nodes have none). */
  hasKubelet(ctx: MemberContext, node: Node): boolean;
  /** The live kubelet configuration of each node (gather). */
  readConfigs(ctx: MemberContext, nodes: Node[]): Promise<NodeConfig[]>;
  /** Runs the node agent on one node to completion and returns its report. */
  runAgent(ctx: MemberContext, run: AgentRun): Promise<AgentResult>;
}

export class AgentPodKubelets implements NodeKubelets {
  hasKubelet(ctx: MemberContext, node: Node): boolean {
    return !isSimulated(node, ctx.options.simulatedNodeAnnotation);
  }

  async readConfigs(ctx: MemberContext, nodes: Node[]): Promise<NodeConfig[]> {
    const queue = new PQueue({ concurrency: ctx.options.nodeProbeConcurrency });
    return Promise.all(nodes.map((n) => queue.add(async (): Promise<NodeConfig> => {
      const node = n.metadata.name;
      if (!this.hasKubelet(ctx, n)) return { node, simulated: true };
      try {
        const res = await ctx.client.get<{ kubeletconfig?: KubeletConfig }>(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/configz`, { timeoutMs: ctx.options.requestTimeoutMs });
        return res.kubeletconfig ? { node, config: res.kubeletconfig } : { node, error: '/configz answered without kubeletconfig' };
      } catch (e) {
        // A refused request is fedfeat's missing permission, not the node's problem: reported as such.
        if (e instanceof KubeApiError && e.statusCode === 403) throw e;
        return { node, error: (e as Error).message };
      }
    }) as Promise<NodeConfig>));
  }

  async runAgent(ctx: MemberContext, run: AgentRun): Promise<AgentResult> {
    const path = await this.startAgentPod(ctx, run);
    const node = run.node.metadata.name;
    try {
      // The agent reports in its termination message; a failed pod without one is an error too.
      const term = await waitFor(`the kubelet agent on ${node} to finish`, async () => {
        const p = await ctx.client.getOptional<Pod>(path);
        if (p?.status?.phase === 'Failed' && !p.status.containerStatuses?.[0]?.state?.terminated) return { failed: JSON.stringify(p.status).slice(0, 300) };
        return p?.status?.containerStatuses?.[0]?.state?.terminated;
      }, { timeoutMs: (run.timeoutSeconds * 2 + 90) * 1000, intervalMs: 1000, signal: ctx.signal }).catch((e: Error) => ({ timeout: e.message }));
      if ('timeout' in term) return { result: 'error', node, message: `agent pod did not finish: ${term.timeout}` };
      if ('failed' in term) return { result: 'error', node, message: `agent pod failed: ${term.failed}` };
      try {
        return JSON.parse(term.message ?? '') as AgentResult;
      } catch {
        return { result: 'error', node, message: `agent exited ${term.exitCode} (${term.reason ?? ''}) without a report` };
      }
    } finally {
      await deleteAgentPod(ctx.client, path).catch(() => undefined);
    }
  }

  /** Creates the agent pod for one node (a leftover from an interrupted rollout goes first); returns its path. */
  protected async startAgentPod(ctx: MemberContext, run: AgentRun): Promise<string> {
    const node = run.node.metadata.name;
    const image = ctx.annotations[AGENT_IMAGE_ANNOTATION];
    const pod = renderAgentPod({
      node, mode: run.mode, settings: run.settings, timeoutSeconds: run.timeoutSeconds,
      image: image ?? DEFAULT_AGENT_IMAGE,
      // A locally imported image keeps node where the distro puts it.
      command: image ? ['/usr/local/bin/node', ...AGENT_COMMAND.slice(1)] : AGENT_COMMAND,
      restart: run.node.metadata.annotations?.[RESTART_ANNOTATION] ?? 'auto',
    });
    const path = `/api/v1/namespaces/${AGENT_NAMESPACE}/pods/${pod.metadata.name}`;
    await deleteAgentPod(ctx.client, path);
    await ctx.client.post(`/api/v1/namespaces/${AGENT_NAMESPACE}/pods`, pod);
    ctx.log.info('kubelet agent started', { cluster: ctx.cluster, node, mode: run.mode });
    return path;
  }
}

export async function deleteAgentPod(c: KubeClient, path: string): Promise<void> {
  if (!(await c.delete(path, { query: { gracePeriodSeconds: 0 } }))) return;
  await c.waitGone([path], 30_000);
}
