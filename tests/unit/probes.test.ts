import { detectCnis, networkPolicyVerdict } from '../../reconfigurators/calico/probe.js';
import { kubeletMismatches, nodeResults } from '../../reconfigurators/kubelet-config/probe.js';
import { desiredFeatures } from '../../api/featureconfig.js';

const ds = (namespace: string, name: string, desired: number, ready: number, containers: string[] = [name]) => ({
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

  it('enforces NetworkPolicy only when a policy-capable CNI is Ready on every node', () => {
    expect(networkPolicyVerdict(detectCnis([ds('kube-system', 'calico-node', 3, 3)]), 3)).toMatchObject({ enforced: true, reason: 'PolicyCapableCNIReady' });
    expect(networkPolicyVerdict(detectCnis([ds('kube-system', 'calico-node', 3, 2)]), 3)).toMatchObject({ enforced: false, reason: 'PolicyCNINotReady' });
    expect(networkPolicyVerdict(detectCnis([ds('kube-system', 'calico-node', 2, 2)]), 3)).toMatchObject({ enforced: false, reason: 'PolicyCNINotReady' });
    const flannel = networkPolicyVerdict(detectCnis([ds('kube-flannel', 'kube-flannel-ds', 3, 3)]), 3);
    expect(flannel).toMatchObject({ enforced: false, reason: 'NoPolicyCapableCNI' });
    expect(flannel.message).toContain('flannel');
    expect(networkPolicyVerdict([], 3).message).toMatch(/no known CNI/);
    expect(networkPolicyVerdict(detectCnis([ds('kube-system', 'calico-node', 0, 0)]), 0).enforced).toBe(false);
  });
});

describe('kubelet /configz comparison', () => {
  it('treats an omitted cpuManagerPolicy as the kubelet default none', () => {
    expect(kubeletMismatches({ cpuManagerPolicy: 'static' }, {})).toEqual(['cpuManagerPolicy is none, want static']);
    expect(kubeletMismatches({ cpuManagerPolicy: 'none' }, {})).toEqual([]);
    expect(kubeletMismatches({ cpuManagerPolicy: 'static' }, { cpuManagerPolicy: 'static' })).toEqual([]);
  });

  it('compares reserved resources per resource and plain fields by value', () => {
    const live = { kubeReserved: { cpu: '500m' }, containerLogMaxFiles: 5 };
    expect(kubeletMismatches({ kubeReserved: { cpu: '500m', memory: '1Gi' }, containerLogMaxFiles: 3 }, live)).toEqual([
      'kubeReserved.memory is unset, want 1Gi',
      'containerLogMaxFiles is 5, want 3',
    ]);
  });

  it('gives one result per node, with simulated and unreachable nodes told apart', () => {
    const res = nodeResults([
      { node: 'a', config: { cpuManagerPolicy: 'static' } },
      { node: 'b', config: { cpuManagerPolicy: 'none' } },
      { node: 'c', simulated: true },
      { node: 'd', error: 'connection refused' },
    ], { cpuManagerPolicy: 'static' });
    expect(res.map((r) => [r.node, r.state])).toEqual([['a', 'ok'], ['b', 'mismatch'], ['c', 'simulated'], ['d', 'unreachable']]);
    expect(res[3]!.message).toBe('connection refused');
  });
});

describe('desiredFeatures', () => {
  it('maps the flat form of Listing 1 to three features', () => {
    expect(desiredFeatures({ cpumanagementpolicy: 'static', podpreset: true, networkpolicy: true }).map((f) => f.name))
      .toEqual(['podpreset', 'cpumanagementpolicy', 'networkpolicy']);
  });
  it('folds cpumanagementpolicy into structured kubelet settings', () => {
    const [k] = desiredFeatures({ cpumanagementpolicy: 'static', kubelet: { reservedSystemCPUs: '0' } });
    expect(k).toEqual({ name: 'kubelet', kubelet: { reservedSystemCPUs: '0', cpuManagerPolicy: 'static' } });
  });
  it('asks for nothing when flags are false', () => {
    expect(desiredFeatures({ podpreset: false, networkpolicy: false })).toEqual([]);
  });
});
