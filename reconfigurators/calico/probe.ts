// Probe: which CNI plugin a member runs, from the DaemonSets its vendor or
// installer created, whether it can enforce NetworkPolicy, and whether its
// pods are Ready on every node.
import type { KubeClient, KubeObject } from '../../kube-client/client.js';

export interface CniSignature {
  cni: string;
  policyCapable: boolean;
  /** DaemonSet names (any namespace) that identify the plugin. */
  daemonSets: string[];
  /** For plugins whose policy support is an add-on: a container name that proves it is on. */
  policyContainer?: string;
}

/** Known plugins. Order matters: canal (Calico policy on Flannel) before flannel. */
export const CNI_SIGNATURES: readonly CniSignature[] = [
  { cni: 'calico', policyCapable: true, daemonSets: ['calico-node'] },
  { cni: 'canal', policyCapable: true, daemonSets: ['canal'] },
  { cni: 'cilium', policyCapable: true, daemonSets: ['cilium'] },
  { cni: 'gke-dataplane-v2', policyCapable: true, daemonSets: ['anetd'] },
  { cni: 'antrea', policyCapable: true, daemonSets: ['antrea-agent'] },
  { cni: 'weave', policyCapable: true, daemonSets: ['weave-net'] },
  { cni: 'kube-router', policyCapable: true, daemonSets: ['kube-router'] },
  { cni: 'azure-npm', policyCapable: true, daemonSets: ['azure-npm'] },
  // The AWS VPC CNI enforces policies only with its network policy agent container.
  { cni: 'aws-vpc-cni', policyCapable: false, daemonSets: ['aws-node'], policyContainer: 'aws-network-policy-agent' },
  { cni: 'azure-cni', policyCapable: false, daemonSets: ['azure-cns', 'azure-ip-masq-agent'] },
  { cni: 'flannel', policyCapable: false, daemonSets: ['kube-flannel-ds', 'kube-flannel', 'flannel'] },
  { cni: 'gke-kubenet', policyCapable: false, daemonSets: ['netd'] },
];

export interface DetectedCni {
  cni: string;
  policyCapable: boolean;
  namespace: string;
  daemonSet: string;
  desired: number;
  ready: number;
}

interface DaemonSet extends KubeObject {
  spec?: { template?: { spec?: { containers?: Array<{ name: string }> } } };
  status?: { desiredNumberScheduled?: number; numberReady?: number };
}

/** Pure: the CNIs the given DaemonSets reveal. */
export function detectCnis(daemonSets: DaemonSet[]): DetectedCni[] {
  const found: DetectedCni[] = [];
  for (const ds of daemonSets) {
    const sig = CNI_SIGNATURES.find((s) => s.daemonSets.includes(ds.metadata.name));
    if (!sig) continue;
    const containers = ds.spec?.template?.spec?.containers?.map((c) => c.name) ?? [];
    found.push({
      cni: sig.cni,
      policyCapable: sig.policyCapable || (sig.policyContainer !== undefined && containers.includes(sig.policyContainer)),
      namespace: ds.metadata.namespace ?? '',
      daemonSet: ds.metadata.name,
      desired: ds.status?.desiredNumberScheduled ?? 0,
      ready: ds.status?.numberReady ?? 0,
    });
  }
  return found;
}

export interface NetworkPolicyVerdict {
  enforced: boolean;
  reason: string;
  message: string;
  detected: DetectedCni[];
}

/** Pure: NetworkPolicy is enforced when a policy-capable CNI is Ready on every node. */
export function networkPolicyVerdict(detected: DetectedCni[], nodeCount: number): NetworkPolicyVerdict {
  const capable = detected.filter((d) => d.policyCapable);
  const names = detected.map((d) => `${d.cni} (${d.namespace}/${d.daemonSet} ${d.ready}/${d.desired} ready)`).join(', ');
  const full = capable.find((d) => d.desired >= nodeCount && d.ready >= nodeCount && nodeCount > 0);
  if (full) return { enforced: true, reason: 'PolicyCapableCNIReady', message: `${full.cni} enforces NetworkPolicy on all ${nodeCount} nodes`, detected };
  if (capable.length) {
    return { enforced: false, reason: 'PolicyCNINotReady', message: `policy-capable CNI not Ready on every node (${nodeCount} nodes): ${names}`, detected };
  }
  return {
    enforced: false,
    reason: 'NoPolicyCapableCNI',
    message: detected.length ? `CNI without NetworkPolicy support: ${names}` : 'no known CNI DaemonSet (kubenet or a vendor-managed network): NetworkPolicy objects are not enforced',
    detected,
  };
}

export async function probeNetworkPolicy(client: KubeClient, timeoutMs: number): Promise<NetworkPolicyVerdict> {
  const [dss, nodes] = await Promise.all([
    client.list<DaemonSet>('/apis/apps/v1/daemonsets', { timeoutMs }),
    client.list('/api/v1/nodes', { timeoutMs }),
  ]);
  return networkPolicyVerdict(detectCnis(dss.items), nodes.items.length);
}
