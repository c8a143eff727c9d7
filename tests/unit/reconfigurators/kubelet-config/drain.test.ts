import { cordonAction, cordonPatch, describePlan, evictionBody, planDrain, uncordonPatch, withLeftCordons, CORDONED_ANNOTATION, type DrainPod } from '../../../../reconfigurators/kubelet-config/drain.js';

const pod = (ns: string, name: string, extra: { owner?: string; ann?: Record<string, string>; phase?: string; emptyDir?: boolean; terminating?: boolean } = {}): DrainPod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name, namespace: ns, uid: `${ns}-${name}`,
    ...(extra.ann ? { annotations: extra.ann } : {}),
    ...(extra.owner ? { ownerReferences: [{ kind: extra.owner, name: `${name}-owner`, controller: true }] } : {}),
    ...(extra.terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: { nodeName: 'n1', ...(extra.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}) },
  status: { phase: extra.phase ?? 'Running' },
});

describe('planDrain: which pods a drain evicts (kubectl drain rules)', () => {
  it('evicts controller-managed pods, leaves DaemonSet, mirror, finished, terminating and agent pods, refuses bare pods', () => {
    const plan = planDrain([
      pod('web', 'b', { owner: 'ReplicaSet' }),
      pod('web', 'a', { owner: 'StatefulSet', emptyDir: true }),
      pod('kube-system', 'proxy', { owner: 'DaemonSet' }),
      pod('kube-system', 'etcd-n1', { ann: { 'kubernetes.io/config.mirror': 'abc' } }),
      pod('jobs', 'done', { owner: 'Job', phase: 'Succeeded' }),
      pod('web', 'going', { owner: 'ReplicaSet', terminating: true }),
      pod('fedfeat-node-agent', 'kubelet-agent-apply-n1'),
      pod('default', 'bare'),
    ], 'fedfeat-node-agent');
    expect(plan.evict.map((p) => p.metadata.name)).toEqual(['a', 'b']); // in name order
    expect(plan.emptyDir).toEqual(['web/a']);
    expect(plan.skip.map((s) => s.pod).sort()).toEqual(['fedfeat-node-agent/kubelet-agent-apply-n1', 'jobs/done', 'kube-system/etcd-n1', 'kube-system/proxy', 'web/going']);
    expect(plan.skip.find((s) => s.pod === 'kube-system/proxy')!.reason).toMatch(/DaemonSet/);
    expect(plan.skip.find((s) => s.pod === 'kube-system/etcd-n1')!.reason).toMatch(/mirror/);
    expect(plan.refuse).toEqual([{ pod: 'default/bare', reason: expect.stringMatching(/not managed by a controller/) }]);
  });

  it('an owner that is not the controller does not make a pod managed', () => {
    const p = pod('default', 'x');
    p.metadata.ownerReferences = [{ kind: 'ReplicaSet', name: 'r' }];
    expect(planDrain([p], 'fedfeat-node-agent').refuse).toHaveLength(1);
  });

  it('describes the plan in one line', () => {
    const plan = planDrain([pod('web', 'a', { owner: 'ReplicaSet' }), pod('kube-system', 'p', { owner: 'DaemonSet' })], 'x');
    expect(describePlan('n1', plan)).toBe('node n1: 1 pods to evict (web/a); 1 left: kube-system/p (DaemonSet p-owner (it runs on every node))');
  });
});

describe('cordon and eviction objects', () => {
  it('the eviction is policy/v1 naming the pod', () => {
    expect(evictionBody(pod('web', 'a'))).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'a', namespace: 'web' } });
  });

  it('cordons a schedulable node, takes over its own earlier cordon, leaves another cordon alone', () => {
    const node = (unschedulable?: boolean, ours?: boolean) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', ...(ours ? { annotations: { [CORDONED_ANNOTATION]: 'kubelet-config' } } : {}) }, spec: { ...(unschedulable ? { unschedulable } : {}) } });
    expect(cordonAction(node())).toBe('cordon');
    expect(cordonAction(node(true))).toBe('cordoned-by-others');
    expect(cordonAction(node(true, true))).toBe('ours-already');
  });

  it('uncordon removes exactly what cordon added', () => {
    expect(cordonPatch()).toEqual({ metadata: { annotations: { [CORDONED_ANNOTATION]: 'kubelet-config' } }, spec: { unschedulable: true } });
    expect(uncordonPatch()).toEqual({ metadata: { annotations: { [CORDONED_ANNOTATION]: null } }, spec: { unschedulable: null } });
  });

  it('a node fedfeat left cordoned is not done, even with the desired kubelet settings', () => {
    const nodes = [
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'a', annotations: { [CORDONED_ANNOTATION]: 'kubelet-config' } } },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'b' } },
    ];
    const out = withLeftCordons([{ node: 'a', state: 'ok', message: 'matches' }, { node: 'b', state: 'ok', message: 'matches' }], nodes);
    expect(out).toEqual([{ node: 'a', state: 'mismatch', message: 'left cordoned by an interrupted fedfeat drain' }, { node: 'b', state: 'ok', message: 'matches' }]);
  });
});
