// The real kubelet: configuration file (the object the kubelet tactic later
// edits), kubeconfig with the node's own identity, and command line.
import { stringify } from 'yaml';

export interface KubeletSetup {
  nodeName: string;
  nodeIP: string;
  rootDir: string;
  /** This node's own pod log folder: kubelets sharing /var/log/pods delete each other's pod logs as orphans. */
  podLogsDir: string;
  configFile: string;
  kubeconfig: string;
  clientCAFile: string;
  servingCert: string;
  servingKey: string;
  containerdSocket: string;
  cgroupRoot: string;
}

/** KubeletConfiguration (pure). Node settings fedfeat may later change are left at their defaults. */
export function renderKubeletConfig(s: KubeletSetup): string {
  return stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: s.nodeIP,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: s.clientCAFile } },
    authorization: { mode: 'Webhook' },
    tlsCertFile: s.servingCert,
    tlsPrivateKeyFile: s.servingKey,
    containerRuntimeEndpoint: `unix://${s.containerdSocket}`,
    podLogsDir: s.podLogsDir,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: s.cgroupRoot,
    // This machine runs cgroup v1 and may have swap; a development node accepts both.
    failCgroupV1: false,
    failSwapOn: false,
    cpuManagerPolicy: 'none',
    clusterDomain: 'cluster.local',
    resolvConf: '/etc/resolv.conf',
    serializeImagePulls: false,
    // Shared development disks are often fuller than a production node's; do not evict on them.
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 95,
    imageGCLowThresholdPercent: 90,
    rotateCertificates: false,
    serverTLSBootstrap: false,
  });
}

export function kubeletArgs(s: KubeletSetup): string[] {
  return [
    `--config=${s.configFile}`,
    `--kubeconfig=${s.kubeconfig}`,
    `--root-dir=${s.rootDir}`,
    `--hostname-override=${s.nodeName}`,
    `--node-ip=${s.nodeIP}`,
    `--node-labels=fedfeat.io/node-kind=real`,
  ];
}
