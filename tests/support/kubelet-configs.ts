// Kubelet configurations as vendors write them, for the node agent's tests.
// EKS: the files nodeadm (AL2023) writes, as in amazon-eks-ami's nodeadm e2e
// case kubelet-config-dir (expected-kubelet-config.json, shortened cipher
// list; the drop-in is its 40-nodeadm.conf). kubeadm: what `kubeadm init`
// writes to /var/lib/kubelet/config.yaml (v1.34 defaults, flow-style `{}`
// maps). GKE (COS) and AKS: the layout and fields of their files
// (/home/kubernetes/kubelet-config.yaml with unindented lists; AKS's
// /etc/default/kubeletconfig.json, 4-space JSON with inline arrays), node-
// specific values made up. k3s passes flags, not a file.

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

/** The whole file `kubeadm init` (v1.34) writes. */
export const KUBEADM_DEFAULT = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- 10.96.0.10
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
crashLoopBackOff: {}
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
httpCheckFrequency: 0s
imageMaximumGCAge: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`;

/** GKE (COS): /home/kubernetes/kubelet-config.yaml — lists not indented, CPU already reserved. */
export const GKE_COS = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /etc/srv/kubernetes/pki/ca-certificates.crt
authorization:
  mode: Webhook
cgroupRoot: /
clusterDNS:
- 10.8.0.10
clusterDomain: cluster.local
enableDebuggingHandlers: true
evictionHard:
  memory.available: 100Mi
  nodefs.available: 10%
  nodefs.inodesFree: 5%
  pid.available: 10%
featureGates:
  RotateKubeletServerCertificate: true
kernelMemcgNotification: true
kind: KubeletConfiguration
kubeReserved:
  cpu: 1060m
  ephemeral-storage: 41Gi
  memory: 1019Mi
readOnlyPort: 10255
serverTLSBootstrap: true
staticPodPath: /etc/kubernetes/manifests
`;

/** EKS AL2023: /etc/kubernetes/kubelet/config.json (nodeadm) — reserved cgroups set, so no reservedSystemCPUs. */
export const EKS_AL2023 = `{
    "kind": "KubeletConfiguration",
    "apiVersion": "kubelet.config.k8s.io/v1beta1",
    "address": "0.0.0.0",
    "authentication": {
        "anonymous": {
            "enabled": false
        },
        "webhook": {
            "cacheTTL": "2m0s",
            "enabled": true
        },
        "x509": {
            "clientCAFile": "/etc/kubernetes/pki/ca.crt"
        }
    },
    "authorization": {
        "mode": "Webhook",
        "webhook": {
            "cacheAuthorizedTTL": "5m0s",
            "cacheUnauthorizedTTL": "30s"
        }
    },
    "clusterDomain": "cluster.local",
    "hairpinMode": "hairpin-veth",
    "readOnlyPort": 0,
    "cgroupDriver": "systemd",
    "cgroupRoot": "/",
    "featureGates": {
        "RotateKubeletServerCertificate": true
    },
    "clusterDNS": [
        "10.100.0.10"
    ],
    "containerRuntimeEndpoint": "unix:///run/containerd/containerd.sock",
    "providerID": "aws:///us-west-2f/i-1234567890abcdef0",
    "systemReservedCgroup": "/system",
    "protectKernelDefaults": true,
    "serializeImagePulls": false,
    "serverTLSBootstrap": true,
    "kubeReservedCgroup": "/runtime",
    "logging": {
        "verbosity": 2
    },
    "evictionHard": {
        "memory.available": "100Mi",
        "nodefs.available": "10%",
        "nodefs.inodesFree": "5%"
    },
    "kubeReserved": {
        "cpu": "80m",
        "ephemeral-storage": "1Gi",
        "memory": "893Mi"
    },
    "tlsCipherSuites": [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    ]
}
`;

/** EKS AL2023: /etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf, the user's kubelet settings from the NodeConfig. */
export const EKS_DROPIN = `{
    "kind": "KubeletConfiguration",
    "apiVersion": "kubelet.config.k8s.io/v1beta1",
    "clusterDNS": [
        "0.0.0.0",
        "1.1.1.1"
    ]
}
`;

/** The EKS AL2023 kubelet's command line (nodeadm's systemd unit). */
export const EKS_ARGV = ['/usr/bin/kubelet', '--config=/etc/kubernetes/kubelet/config.json', '--config-dir=/etc/kubernetes/kubelet/config.json.d', '--kubeconfig=/var/lib/kubelet/kubeconfig', '--image-credential-provider-bin-dir=/etc/eks/image-credential-provider', '--node-ip=10.0.1.23', '--hostname-override=ip-10-0-1-23.us-west-2.compute.internal', '--cloud-provider=external', '--node-labels=eks.amazonaws.com/nodegroup=ng-1'];

/** AKS: /etc/default/kubeletconfig.json — JSON, 4 spaces, inline arrays. */
export const AKS = `{
    "kind": "KubeletConfiguration",
    "apiVersion": "kubelet.config.k8s.io/v1beta1",
    "staticPodPath": "/etc/kubernetes/manifests",
    "address": "0.0.0.0",
    "readOnlyPort": 0,
    "tlsCertFile": "/etc/kubernetes/certs/kubeletserver.crt",
    "tlsPrivateKeyFile": "/etc/kubernetes/certs/kubeletserver.key",
    "tlsCipherSuites": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
    "rotateCertificates": true,
    "authentication": {
        "x509": {
            "clientCAFile": "/etc/kubernetes/certs/ca.crt"
        },
        "webhook": {
            "enabled": true
        },
        "anonymous": {}
    },
    "authorization": {
        "mode": "Webhook",
        "webhook": {}
    },
    "eventRecordQPS": 0,
    "clusterDomain": "cluster.local",
    "clusterDNS": ["10.0.0.10"],
    "streamingConnectionIdleTimeout": "4h0m0s",
    "nodeStatusUpdateFrequency": "10s",
    "imageGCHighThresholdPercent": 85,
    "imageGCLowThresholdPercent": 80,
    "cgroupsPerQOS": true,
    "maxPods": 110,
    "podPidsLimit": -1,
    "resolvConf": "/run/systemd/resolve/resolv.conf",
    "evictionHard": {
        "memory.available": "750Mi",
        "nodefs.available": "10%",
        "nodefs.inodesFree": "5%"
    },
    "protectKernelDefaults": true,
    "featureGates": {},
    "failSwapOn": false,
    "serializeImagePulls": false,
    "enforceNodeAllocatable": ["pods"],
    "kubeReserved": {
        "cpu": "100m",
        "memory": "1638Mi"
    },
    "seccompDefault": true
}
`;

/** k3s: the kubelet runs with flags only (k3s passes them; no --config). */
export const K3S_ARGV = ['kubelet', '--address=0.0.0.0', '--anonymous-auth=false', '--authentication-token-webhook=true', '--authorization-mode=Webhook', '--cgroup-driver=systemd', '--client-ca-file=/var/lib/rancher/k3s/agent/client-ca.crt', '--cloud-provider=external', '--cluster-dns=10.43.0.10', '--cluster-domain=cluster.local', '--container-runtime-endpoint=unix:///run/k3s/containerd/containerd.sock', '--eviction-hard=imagefs.available<5%,nodefs.available<5%', '--fail-swap-on=false', '--healthz-bind-address=127.0.0.1', '--hostname-override=k3s-node-1', '--kubeconfig=/var/lib/rancher/k3s/agent/kubelet.kubeconfig', '--cpu-manager-policy=none', '--kube-reserved=cpu=200m,memory=512Mi', '--read-only-port=0', '--serialize-image-pulls=false'];
