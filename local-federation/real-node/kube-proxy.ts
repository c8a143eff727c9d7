// The real kube-proxy of a real node (iptables mode), built from the same
// Kubernetes version as the kubelet. It runs in the node's network namespace
// and programs that namespace's iptables, so Services answer from the node,
// from its pods, and from clients whose Service traffic is routed through it.
import { stringify } from 'yaml';

export interface KubeProxySetup {
  nodeName: string;
  kubeconfig: string;
  /** The member's cluster CIDR: traffic to a Service from outside it (a node, a client) is masqueraded. */
  clusterCidr: string;
}

/** KubeProxyConfiguration (pure). */
export function renderKubeProxyConfig(s: KubeProxySetup): string {
  return stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    mode: 'iptables',
    clientConnection: { kubeconfig: s.kubeconfig },
    hostnameOverride: s.nodeName,
    clusterCIDR: s.clusterCidr,
    // Each node has its own network namespace, so the default ports do not collide; keep them off the node IP.
    healthzBindAddress: '127.0.0.1:10256',
    metricsBindAddress: '127.0.0.1:10249',
    // Conntrack limits are the machine's (a network namespace may not change them): leave them as they are.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { minSyncPeriod: '1s', syncPeriod: '30s' },
  });
}

export function kubeProxyArgs(configFile: string): string[] {
  return [`--config=${configFile}`];
}
