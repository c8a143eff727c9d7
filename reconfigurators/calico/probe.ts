// Does the member enforce NetworkPolicy? Which CNI plugin it runs is read
// from the DaemonSets its vendor or installer created; gather() lists them and
// the nodes once, the rules decide (pure), and reconfigure works from the
// same lists (other CNIs present, node podCIDRs for the pool).
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import type { Rule } from '../decision.js';

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

export interface DaemonSet extends KubeObject {
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

export type Node = KubeObject & { spec?: { podCIDR?: string; podCIDRs?: string[] } };

export interface CalicoObserved {
  daemonSets: DaemonSet[];
  /** Read only when a policy-capable CNI is found (to tell whether it runs on every node); else undefined. */
  nodes?: Node[];
  detected: DetectedCni[];
}

/**
 * DaemonSets first; the nodes (a large list on a big member) only when a policy-capable CNI needs
 * counting against them. Reconfigure reads them itself when they were not needed here.
 */
export async function gather(client: KubeClient, timeoutMs: number): Promise<CalicoObserved> {
  const dss = await client.list<DaemonSet>('/apis/apps/v1/daemonsets', { timeoutMs });
  const detected = detectCnis(dss.items);
  const nodes = detected.some((d) => d.policyCapable) ? (await client.list<Node>('/api/v1/nodes', { timeoutMs })).items : undefined;
  return { daemonSets: dss.items, nodes, detected };
}

const describeAll = (d: DetectedCni[]) => d.map((x) => `${x.cni} (${x.namespace}/${x.daemonSet} ${x.ready}/${x.desired} ready)`).join(', ');
const capable = (o: CalicoObserved) => o.detected.filter((d) => d.policyCapable);
const nodeCount = (o: CalicoObserved) => o.nodes?.length ?? 0;
const readyEverywhere = (o: CalicoObserved) => capable(o).find((d) => nodeCount(o) > 0 && d.desired >= nodeCount(o) && d.ready >= nodeCount(o));

/** NetworkPolicy is enforced when a policy-capable CNI is Ready on every node. */
export const NETWORKPOLICY_RULES: ReadonlyArray<Rule<CalicoObserved>> = [
  (o) => {
    const full = readyEverywhere(o);
    return full ? { state: 'Supported', reason: 'PolicyCapableCNIReady', message: `${full.cni} enforces NetworkPolicy on all ${nodeCount(o)} nodes` } : undefined;
  },
  (o) => (capable(o).length
    ? { state: 'Missing', reason: 'PolicyCNINotReady', message: `policy-capable CNI not Ready on every node (${nodeCount(o)} nodes): ${describeAll(o.detected)}` }
    : undefined),
  (o) => ({
    state: 'Missing', reason: 'NoPolicyCapableCNI',
    message: o.detected.length ? `CNI without NetworkPolicy support: ${describeAll(o.detected)}` : 'no known CNI DaemonSet (kubenet or a vendor-managed network): NetworkPolicy objects are not enforced',
  }),
];
