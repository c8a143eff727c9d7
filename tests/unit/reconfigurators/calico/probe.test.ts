import { decide } from '../../../../reconfigurators/decision.js';
import { detectCnis, gather, NETWORKPOLICY_RULES, type DaemonSet } from '../../../../reconfigurators/calico/probe.js';
import type { KubeClient } from '../../../../kube-client/client.js';

const ds = (namespace: string, name: string, desired: number, ready: number, containers: string[] = [name]): DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name, namespace },
  spec: { template: { spec: { containers: containers.map((c) => ({ name: c })) } } },
  status: { desiredNumberScheduled: desired, numberReady: ready },
});

describe('CNI detection', () => {
  it('recognises each plugin by its DaemonSet', () => {
    const found = detectCnis([
      ds('kube-system', 'calico-node', 3, 3), ds('kube-system', 'cilium', 3, 3), ds('kube-flannel', 'kube-flannel-ds', 3, 3),
      ds('kube-system', 'weave-net', 3, 3), ds('kube-system', 'aws-node', 3, 3), ds('kube-system', 'anetd', 3, 3),
      ds('kube-system', 'netd', 3, 3), ds('kube-system', 'kube-proxy', 3, 3),
    ]);
    expect(found.map((f) => f.cni)).toEqual(['calico', 'cilium', 'flannel', 'weave', 'aws-vpc-cni', 'gke-dataplane-v2', 'gke-kubenet']);
    expect(found.find((f) => f.cni === 'flannel')!.policyCapable).toBe(false);
    expect(found.find((f) => f.cni === 'aws-vpc-cni')!.policyCapable).toBe(false);
  });

  it('counts the AWS VPC CNI as policy-capable only with its policy agent container', () => {
    const [aws] = detectCnis([ds('kube-system', 'aws-node', 2, 2, ['aws-node', 'aws-network-policy-agent'])]);
    expect(aws!.policyCapable).toBe(true);
  });

  /** The rules on what gather() would have read: these DaemonSets and this many nodes. */
  const verdict = (dss: DaemonSet[], nodes: number) => decide({
    daemonSets: dss, detected: detectCnis(dss),
    nodes: Array.from({ length: nodes }, (_, i) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: `n${i}` } })),
  }, NETWORKPOLICY_RULES);

  it('enforces NetworkPolicy only when a policy-capable CNI is Ready on every node', () => {
    expect(verdict([ds('kube-system', 'calico-node', 3, 3)], 3)).toMatchObject({ state: 'Supported', reason: 'PolicyCapableCNIReady' });
    expect(verdict([ds('kube-system', 'calico-node', 3, 2)], 3)).toMatchObject({ state: 'Missing', reason: 'PolicyCNINotReady' });
    expect(verdict([ds('kube-system', 'calico-node', 2, 2)], 3)).toMatchObject({ state: 'Missing', reason: 'PolicyCNINotReady' });
    const flannel = verdict([ds('kube-flannel', 'kube-flannel-ds', 3, 3)], 3);
    expect(flannel).toMatchObject({ state: 'Missing', reason: 'NoPolicyCapableCNI' });
    expect(flannel.message).toContain('flannel');
    expect(verdict([], 3).message).toMatch(/no known CNI/);
    expect(verdict([ds('kube-system', 'calico-node', 0, 0)], 0).state).toBe('Missing');
  });
});


describe('Calico gather', () => {
  /** A member with these DaemonSets and three nodes; records every list. */
  function fakeMember(dss: DaemonSet[]) {
    const requests: string[] = [];
    const client = {
      list: async (path: string) => {
        requests.push(path);
        return { items: path.endsWith('/daemonsets') ? dss : [1, 2, 3].map((i) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: `n${i}` } })) };
      },
    } as unknown as KubeClient;
    return { client, requests };
  }

  it('reads no nodes when no policy-capable CNI is there to count against them', async () => {
    const m = fakeMember([ds('kube-flannel', 'kube-flannel-ds', 3, 3)]);
    const seen = await gather(m.client, 1000);
    expect(m.requests).toEqual(['/apis/apps/v1/daemonsets']);
    expect(seen.nodes).toBeUndefined();
    expect(decide(seen, NETWORKPOLICY_RULES).reason).toBe('NoPolicyCapableCNI');
  });

  it('reads the nodes to tell whether a policy-capable CNI runs on all of them', async () => {
    const m = fakeMember([ds('kube-system', 'calico-node', 3, 3)]);
    const seen = await gather(m.client, 1000);
    expect(m.requests).toEqual(['/apis/apps/v1/daemonsets', '/api/v1/nodes']);
    expect(decide(seen, NETWORKPOLICY_RULES)).toMatchObject({ state: 'Supported', message: 'calico enforces NetworkPolicy on all 3 nodes' });
  });
});
