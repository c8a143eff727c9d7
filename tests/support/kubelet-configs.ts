// Kubelet configuration files as vendors write them, for the node agent's tests.

/** kubeadm's /var/lib/kubelet/config.yaml, with comments the merge must keep. */
export const KUBEADM = `# written by kubeadm
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
cgroupDriver: systemd
# the DNS service
clusterDNS:
  - 10.96.0.10
kubeReserved:
  memory: 512Mi
`;
