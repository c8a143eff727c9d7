import { choosePool, cidrContains, clusterCidrFrom } from '../../../../reconfigurators/calico/pool.js';
import type { Node } from '../../../../reconfigurators/calico/probe.js';

const node = (name: string, ...cidrs: string[]): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { podCIDR: cidrs[0], podCIDRs: cidrs } });
const kcm = (args: string[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'kube-controller-manager-cp1', namespace: 'kube-system' }, spec: { containers: [{ command: ['kube-controller-manager', ...args] }] } });

describe('Calico pool', () => {
  const nodes = [node('a', '10.244.1.0/24'), node('b', '10.244.2.0/24')];

  it('takes spec.calico.poolCIDR first, then the controller-manager flag, then kubeadm', () => {
    expect(choosePool('10.244.0.0/16', undefined, nodes)).toEqual({ poolCIDR: '10.244.0.0/16', source: 'spec.calico.poolCIDR' });
    const fromFlag = clusterCidrFrom({ controllerManagerPods: [kcm(['--allocate-node-cidrs=true', '--cluster-cidr=10.244.0.0/16,fd00::/48'])] });
    expect(fromFlag).toEqual({ cidr: '10.244.0.0/16', source: '--cluster-cidr of pod kube-system/kube-controller-manager-cp1' });
    expect(clusterCidrFrom({ controllerManagerPods: [kcm(['--cluster-cidr', '10.8.0.0/14'])] })?.cidr).toBe('10.8.0.0/14');
    expect(clusterCidrFrom({ kubeadmClusterConfiguration: 'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.244.0.0/16\n' }))
      .toEqual({ cidr: '10.244.0.0/16', source: 'networking.podSubnet of kube-system/kubeadm-config' });
    expect(choosePool(undefined, fromFlag, nodes).poolCIDR).toBe('10.244.0.0/16');
  });

  it('refuses to guess the pool from the nodes when the member does not tell it', () => {
    expect(clusterCidrFrom({ controllerManagerPods: [], kubeadmClusterConfiguration: 'not: [yaml' })).toBeUndefined();
    expect(() => choosePool(undefined, undefined, nodes)).toThrow(/cannot be read.*set spec.calico.poolCIDR.*does not guess it from the 2 nodes/);
  });

  it('refuses 0.0.0.0/0 and a pool that misses a node', () => {
    expect(() => choosePool('0.0.0.0/0', undefined, nodes)).toThrow(/covers every address/);
    expect(() => choosePool('10.244.1.0/24', undefined, nodes)).toThrow(/does not cover node podCIDRs 10.244.2.0\/24/);
    expect(() => choosePool('10.244.0.0/33', undefined, nodes)).toThrow(/not an IPv4 CIDR/);
  });

  it('refuses IPv6-only members saying so, and dual-stack ones with the reason', () => {
    expect(() => choosePool('10.0.0.0/8', undefined, [node('a', 'fd00:1::/64'), node('b', 'fd00:2::/64')])).toThrow(/member is IPv6-only \(node podCIDRs fd00:1::\/64, fd00:2::\/64\).*IPv4 pools only/);
    expect(() => choosePool('10.244.0.0/16', undefined, [node('a', '10.244.1.0/24', 'fd00:1::/64')])).toThrow(/member is dual-stack.*IPv6 pod traffic without policy/);
  });

  it('cidrContains', () => {
    expect(cidrContains('10.244.0.0/16', '10.244.3.0/24')).toBe(true);
    expect(cidrContains('10.244.0.0/16', '10.245.3.0/24')).toBe(false);
    expect(cidrContains('10.244.1.0/24', '10.244.0.0/16')).toBe(false);
  });
});
