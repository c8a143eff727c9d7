import { KubeApiError, type KubeClient } from '../../../../kube-client/client.js';
import type { AgentRun, NodeKubelets } from '../../../../reconfigurators/kubelet-config/node-kubelets.js';
import type { KubeletObserved, Node } from '../../../../reconfigurators/kubelet-config/probe.js';
import { KubeletConfigReconfigurator } from '../../../../reconfigurators/kubelet-config/reconfigurator.js';
import type { MemberContext, ProbeResult } from '../../../../reconfigurators/types.js';

// The tactic follows the kubelet's rules before any node is touched: a request the kubelet
// would refuse on every node stops here, with no agent pod and no event.
describe('kubelet tactic: refuses what no kubelet accepts, before touching any node', () => {
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };
  const runs: AgentRun[] = [];
  const events: string[] = [];
  const kubelets: NodeKubelets = {
    hasKubelet: () => true,
    readConfigs: async () => [{ node: 'n1', config: { cpuManagerPolicy: 'none' } }],
    runAgent: async (_ctx, run) => {
      runs.push(run);
      return { result: 'applied', node: 'n1', message: 'ok' };
    },
  };
  const ctx = {
    cluster: 'm', annotations: {}, client: {} as KubeClient, signal: new AbortController().signal,
    event: (type: string, reason: string, message: string) => void events.push(`${type} ${reason} ${message}`),
    options: { nodeProbeConcurrency: 1, requestTimeoutMs: 1000 }, now: () => new Date(),
  } as unknown as MemberContext;
  const probe = { state: 'Missing', reason: 'KubeletConfigDiffers', message: '', observed: { nodes: [node], results: [{ node: 'n1', state: 'mismatch', message: '' }] } } as unknown as ProbeResult<KubeletObserved>;

  it.each([
    [{ cpuManagerPolicy: 'static' as const, kubeReserved: { cpu: '0' }, systemReserved: { cpu: '0m' } }, /reserve no CPU, and the static policy needs CPU reserved/],
    [{ cpuManagerPolicy: 'static' as const, reservedSystemCPUs: '0,x' }, /reservedSystemCPUs: must be a cpuset list/],
    [{ kubeReserved: { cpu: '-1' } }, /cpu cannot be negative/],
  ])('%j', async (kubelet, why) => {
    const r = new KubeletConfigReconfigurator(undefined, kubelets);
    await expect(r.reconfigure(ctx, { name: 'kubelet', kubelet }, probe)).rejects.toThrow(why);
    expect(runs).toEqual([]);
    expect(events).toEqual([]);
  });
});

// drainNodes, the order of the steps against a member API held in memory: cordon, evictions (a PDB's 429
// retried), the agent, Ready with the desired /configz, uncordon; and uncordon when a step fails.
describe('kubelet tactic with drainNodes', () => {
  type Pod = { metadata: { name: string; namespace: string; uid: string; ownerReferences?: unknown[] }; spec: { nodeName: string } };

  function member(o: { refusals: number; agent: 'applied' | 'rolled-back' }) {
    const steps: string[] = [];
    const events: string[] = [];
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', annotations: {} as Record<string, string | null> }, spec: {} as Record<string, unknown>, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    let pods: Pod[] = [{ metadata: { name: 'web-1', namespace: 'app', uid: 'u1', ownerReferences: [{ kind: 'ReplicaSet', name: 'web', controller: true }] }, spec: { nodeName: 'n1' } }];
    let refusals = o.refusals;
    let applied = false;
    const client = {
      get: async () => structuredClone(node),
      mergePatch: async (_p: string, patch: { metadata: { annotations: Record<string, string | null> }; spec: { unschedulable: boolean | null } }) => {
        steps.push(patch.spec.unschedulable ? 'cordon' : 'uncordon');
        Object.assign(node.metadata.annotations, patch.metadata.annotations);
        for (const [k, v] of Object.entries(node.metadata.annotations)) if (v === null) delete node.metadata.annotations[k];
        if (patch.spec.unschedulable) node.spec.unschedulable = true;
        else delete node.spec.unschedulable;
        return node;
      },
      list: async (path: string) => ({ items: structuredClone(path === '/api/v1/nodes' ? [node] : pods) }),
      post: async (path: string) => {
        if (refusals-- > 0) {
          steps.push('evict refused');
          throw new KubeApiError('POST', path, 429, 'Too Many Requests', JSON.stringify({ message: "Cannot evict pod as it would violate the pod's disruption budget." }));
        }
        steps.push('evict');
        pods = [];
        return {};
      },
      applyObject: async () => ({}),
    } as unknown as KubeClient;
    const kubelets: NodeKubelets = {
      hasKubelet: () => true,
      readConfigs: async () => [{ node: 'n1', config: { cpuManagerPolicy: applied ? 'static' : 'none' } }],
      runAgent: async () => {
        steps.push(`agent (node unschedulable: ${String(node.spec.unschedulable === true)}, pods left: ${pods.length})`);
        applied = o.agent === 'applied';
        return { result: o.agent, node: 'n1', message: o.agent === 'applied' ? 'ok' : 'previous config restored' };
      },
    };
    const ctx = {
      cluster: 'm', annotations: {}, client, signal: new AbortController().signal, log: { info: () => undefined, warn: () => undefined },
      event: (type: string, reason: string, message: string) => void events.push(`${type} ${reason} ${message}`),
      options: { nodeProbeConcurrency: 1, requestTimeoutMs: 1000 }, now: () => new Date(),
    } as unknown as MemberContext;
    const r = new KubeletConfigReconfigurator({ agentTimeoutSeconds: 5, nodeReadyTimeoutSeconds: 5, drain: { drainTimeoutSeconds: 5, evictionRetrySeconds: 0.01 } }, kubelets);
    return { r, ctx, steps, events, node };
  }
  const feature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'static' as const }, drainNodes: true };

  it('cordons, evicts (retrying a PDB refusal), restarts, verifies, uncordons', async () => {
    const m = member({ refusals: 2, agent: 'applied' });
    const out = await m.r.reconfigure(m.ctx, feature, await m.r.probe(m.ctx, feature));
    expect(out.message).toBe('1 nodes reconfigured, 1 at a time, each drained first: n1');
    expect(m.steps).toEqual(['cordon', 'evict refused', 'evict refused', 'evict', 'agent (node unschedulable: true, pods left: 0)', 'uncordon']);
    expect(m.events.map((e) => e.split(' ').slice(0, 2).join(' '))).toEqual([
      'Normal NodesReconfiguring', 'Normal NodeCordoned', 'Normal NodeDraining', 'Warning EvictionBlocked', 'Normal NodeDrained', 'Normal NodeReconfigured', 'Normal NodeUncordoned',
    ]);
    expect(m.events.find((e) => e.includes('EvictionBlocked'))).toContain("app/web-1 (Cannot evict pod as it would violate the pod's disruption budget.)");
    expect(m.node.spec.unschedulable).toBeUndefined();
    expect(m.node.metadata.annotations).toEqual({});
  });

  it('uncordons when a PDB never allows the eviction, and stops the rollout naming it', async () => {
    const m = member({ refusals: 1e9, agent: 'applied' });
    await expect(m.r.reconfigure(m.ctx, feature, await m.r.probe(m.ctx, feature))).rejects.toThrow(/node n1 not drained within 5s: eviction of app\/web-1 .* still refused by a PodDisruptionBudget/);
    expect(m.steps[0]).toBe('cordon');
    expect(m.steps.at(-1)).toBe('uncordon');
    expect(m.steps.some((s) => s.startsWith('agent'))).toBe(false);
    expect(m.events.some((e) => e.startsWith('Warning DrainUndone node n1'))).toBe(true);
    expect(m.node.spec.unschedulable).toBeUndefined();
  }, 15_000);

  it('uncordons when the kubelet rolled back', async () => {
    const m = member({ refusals: 0, agent: 'rolled-back' });
    await expect(m.r.reconfigure(m.ctx, feature, await m.r.probe(m.ctx, feature))).rejects.toThrow(/previous config restored/);
    expect(m.steps).toEqual(['cordon', 'evict', 'agent (node unschedulable: true, pods left: 0)', 'uncordon']);
  });

  it('leaves a node someone else cordoned cordoned', async () => {
    const m = member({ refusals: 0, agent: 'applied' });
    m.node.spec.unschedulable = true;
    await m.r.reconfigure(m.ctx, feature, await m.r.probe(m.ctx, feature));
    expect(m.steps).toEqual(['evict', 'agent (node unschedulable: true, pods left: 0)']);
    expect(m.node.spec.unschedulable).toBe(true);
  });

  it('refuses before cordoning when a pod no controller manages would be evicted', async () => {
    const m = member({ refusals: 0, agent: 'applied' });
    (m.ctx.client as unknown as { list: (p: string) => Promise<unknown> }).list = async (p: string) => ({ items: p === '/api/v1/nodes' ? [m.node] : [{ metadata: { name: 'bare', namespace: 'default', uid: 'b' }, spec: { nodeName: 'n1' } }] });
    await expect(m.r.reconfigure(m.ctx, feature, await m.r.probe(m.ctx, feature))).rejects.toThrow(/drainNodes: cannot drain: default\/bare: not managed by a controller/);
    expect(m.steps).toEqual([]);
  });
});
