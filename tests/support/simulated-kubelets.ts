// Test-only: KWOK nodes have no kubelet, so for rollout-ordering tests and the
// kubelet benchmark their kubelet is SIMULATED. The node's "config" is the
// annotation fedfeat.io/simulated-kubeletconfig; the agent pod is still a real
// pod (KWOK marks it Running), and once it runs the simulation applies the
// agent's effect to the annotation — or fails, when the node carries
// fedfeat.io/simulate-failure. Real nodes go through the production path.
import type { AgentResult } from '../../daemonset-scripts/kubelet-agent/main.js';
import type { KubeObject } from '../../kube-client/client.js';
import { waitFor } from '../../kube-client/wait.js';
import { AgentPodKubelets, deleteAgentPod, type AgentRun } from '../../reconfigurators/kubelet-config/node-kubelets.js';
import { isSimulated, type Node, type NodeConfig } from '../../reconfigurators/kubelet-config/probe.js';
import type { MemberContext } from '../../reconfigurators/types.js';

export const SIMULATED_CONFIG_ANNOTATION = 'fedfeat.io/simulated-kubeletconfig';
export const SIMULATE_FAILURE_ANNOTATION = 'fedfeat.io/simulate-failure';

/** A fake node's simulated kubelet config. */
export function simulatedConfig(n: KubeObject): Record<string, unknown> {
  try {
    return JSON.parse(n.metadata.annotations?.[SIMULATED_CONFIG_ANNOTATION] ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

export class SimulatedKubelets extends AgentPodKubelets {
  /** `fake`: the annotation (KEY=VALUE) of the nodes to simulate, e.g. KWOK's kwok.x-k8s.io/node=fake. */
  constructor(private readonly fake: string) {
    super();
  }

  private simulated(n: Node): boolean {
    return isSimulated(n, this.fake);
  }

  override hasKubelet(ctx: MemberContext, node: Node): boolean {
    // A simulated node takes part in revert only once the simulation gave it a config.
    return this.simulated(node) ? node.metadata.annotations?.[SIMULATED_CONFIG_ANNOTATION] !== undefined : super.hasKubelet(ctx, node);
  }

  override async readConfigs(ctx: MemberContext, nodes: Node[]): Promise<NodeConfig[]> {
    const real = await super.readConfigs(ctx, nodes.filter((n) => !this.simulated(n)));
    return nodes.map((n) => (this.simulated(n) ? { node: n.metadata.name, config: simulatedConfig(n) } : real.find((r) => r.node === n.metadata.name)!));
  }

  override async runAgent(ctx: MemberContext, run: AgentRun): Promise<AgentResult> {
    if (!this.simulated(run.node)) return super.runAgent(ctx, run);
    const node = run.node.metadata.name;
    const path = await this.startAgentPod(ctx, run);
    try {
      await waitFor(`agent pod on ${node} Running`, async () => (await ctx.client.getOptional<KubeObject & { status?: { phase?: string } }>(path))?.status?.phase === 'Running', { timeoutMs: 30_000 }).catch(() => undefined);
      // The node as it is now: the failure switch may have been set after the probe.
      const n = await ctx.client.get<Node>(`/api/v1/nodes/${encodeURIComponent(node)}`);
      if (n.metadata.annotations?.[SIMULATE_FAILURE_ANNOTATION]) {
        return { result: 'rolled-back', node, message: 'simulated kubelet did not come back healthy; previous config restored and the kubelet is healthy again' };
      }
      const next = run.mode === 'revert' ? null : JSON.stringify({ ...simulatedConfig(n), ...run.settings });
      await ctx.client.mergePatch(`/api/v1/nodes/${encodeURIComponent(node)}`, { metadata: { annotations: { [SIMULATED_CONFIG_ANNOTATION]: next } } });
      return { result: run.mode === 'revert' ? 'reverted' : 'applied', node, changed: Object.keys(run.settings), message: 'simulated kubelet reconfigured' };
    } finally {
      await deleteAgentPod(ctx.client, path).catch(() => undefined);
    }
  }
}
