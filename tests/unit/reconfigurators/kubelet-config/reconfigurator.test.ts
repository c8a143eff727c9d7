import type { KubeClient } from '../../../../kube-client/client.js';
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
