import { agentPodName, planBatches, renderAgentPod, renderAgentSupport } from '../../../../reconfigurators/kubelet-config/agent-pod.js';

describe('kubelet rollout plan', () => {
  it('goes one node at a time by default, in name order, and batches by maxUnavailableNodes', () => {
    expect(planBatches(['c', 'a', 'b'], 1)).toEqual([['a'], ['b'], ['c']]);
    expect(planBatches(['n1', 'n2', 'n3', 'n4', 'n5'], 2)).toEqual([['n1', 'n2'], ['n3', 'n4'], ['n5']]);
    expect(planBatches(['a'], 0)).toEqual([['a']]);
    expect(planBatches([], 3)).toEqual([]);
  });
});

describe('kubelet agent pod', () => {
  const pod = renderAgentPod({ node: 'node-1', mode: 'apply', settings: { cpuManagerPolicy: 'static' }, image: 'img', command: ['node', 'main.js'], restart: 'signal', timeoutSeconds: 60 }) as unknown as {
    metadata: { name: string; namespace: string };
    spec: { nodeName: string; hostPID: boolean; hostNetwork: boolean; automountServiceAccountToken: boolean; restartPolicy: string; tolerations: unknown[];
      containers: Array<{ command: string[]; securityContext: { privileged: boolean }; volumeMounts: Array<{ mountPath: string }> }> };
  };
  it('runs once, on exactly that node, without a service-account token', () => {
    expect(pod.spec).toMatchObject({ nodeName: 'node-1', hostPID: true, hostNetwork: true, automountServiceAccountToken: false, restartPolicy: 'Never' });
    expect(pod.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.metadata).toMatchObject({ name: 'kubelet-agent-apply-node-1', namespace: 'fedfeat-node-agent' });
    expect(pod.spec.containers[0]!.command).toEqual(['node', 'main.js', 'apply', '--node', 'node-1', '--settings', '{"cpuManagerPolicy":"static"}', '--restart', 'signal', '--host-root', '/host', '--timeout-seconds', '60']);
    expect(pod.spec.containers[0]!.volumeMounts).toEqual([{ name: 'host', mountPath: '/host' }]);
  });
  it('keeps pod names valid for long node names', () => {
    const name = agentPodName('ip-10-0-0-1.eu-west-1.compute.internal.very-long-suffix-here', 'revert');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
  it('denies the agent pods all ingress', () => {
    const np = renderAgentSupport().find((o) => o.kind === 'NetworkPolicy') as unknown as { spec: { policyTypes: string[]; ingress: unknown[] } };
    expect(np.spec).toMatchObject({ policyTypes: ['Ingress'], ingress: [] });
  });
});
