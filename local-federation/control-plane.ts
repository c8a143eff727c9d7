// One Kubernetes control plane of the local federation: PKI, kube-apiserver,
// kube-controller-manager, kube-scheduler and KWOK. Argument lists are pure
// functions so their flags are unit-tested; starting and waiting is I/O.
import http from 'node:http';
import https from 'node:https';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { binary } from './binaries.js';
import { renderKubeconfig } from './kubeconfig.js';
import { createCA, createServiceAccountKey, issueCert, readPem, type CertPair } from './pki.js';
import { logTail, startProcess, type ProcessRecord } from './processes.js';
import { waitFor } from '../kube-client/wait.js';

export const SERVICE_CIDR = '10.96.0.0/16';
export const SERVICE_IP = '10.96.0.1';
export const CLUSTER_CIDR = '10.244.0.0/16';

export interface ClusterPaths {
  dir: string;
  pki: string;
  adminKubeconfig: string;
}

export interface ClusterPki {
  ca: CertPair;
  serving: CertPair;
  admin: CertPair;
  kubeletClient: CertPair;
  serviceAccount: { privateKey: string; publicKey: string };
}

export interface ApiServerConfig {
  name: string;
  bindAddress: string;
  port: number;
  etcdEndpoint: string;
  etcdPrefix: string;
  pki: ClusterPki;
}

export function clusterPaths(fedDir: string, name: string): ClusterPaths {
  const dir = path.join(fedDir, 'clusters', name);
  return { dir, pki: path.join(dir, 'pki'), adminKubeconfig: path.join(dir, 'admin.kubeconfig') };
}

export async function createClusterPki(paths: ClusterPaths, name: string, bindAddress: string): Promise<ClusterPki> {
  const ca = await createCA(paths.pki, `fedfeat-${name}-ca`);
  const ips = [...new Set(['127.0.0.1', bindAddress, SERVICE_IP])];
  const [serving, admin, kubeletClient, serviceAccount] = await Promise.all([
    issueCert(ca, paths.pki, 'apiserver', {
      commonName: 'kube-apiserver',
      usage: 'server',
      ipAddresses: ips,
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    }),
    issueCert(ca, paths.pki, 'admin', { commonName: 'fedfeat-admin', organizations: ['system:masters'], usage: 'client' }),
    issueCert(ca, paths.pki, 'apiserver-kubelet-client', {
      commonName: 'kube-apiserver-kubelet-client',
      organizations: ['system:masters'],
      usage: 'client',
    }),
    createServiceAccountKey(paths.pki),
  ]);
  return { ca, serving, admin, kubeletClient, serviceAccount };
}

export function writeAdminKubeconfig(paths: ClusterPaths, name: string, server: string, pki: ClusterPki): void {
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(
    paths.adminKubeconfig,
    renderKubeconfig({
      clusterName: name,
      server,
      caPem: readPem(pki.ca.cert),
      user: `${name}-admin`,
      clientCertPem: readPem(pki.admin.cert),
      clientKeyPem: readPem(pki.admin.key),
    }),
    { mode: 0o600 },
  );
}

export function etcdArgs(dataDir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=fedfeat', `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=fedfeat=${peer}`,
    // Test data: losing it on a host crash is fine, and fsync dominates etcd latency on shared disks.
    '--unsafe-no-fsync',
    '--quota-backend-bytes=8589934592',
    '--log-level=warn',
  ];
}

export function apiServerArgs(c: ApiServerConfig): string[] {
  return [
    `--etcd-servers=${c.etcdEndpoint}`,
    `--etcd-prefix=${c.etcdPrefix}`,
    `--bind-address=${c.bindAddress}`,
    `--advertise-address=${c.bindAddress}`,
    `--secure-port=${c.port}`,
    `--tls-cert-file=${c.pki.serving.cert}`,
    `--tls-private-key-file=${c.pki.serving.key}`,
    `--client-ca-file=${c.pki.ca.cert}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    // Webhooks and aggregated APIs behind a Service are called at an endpoint IP: no kube-proxy runs on the host.
    '--enable-aggregator-routing=true',
    `--service-account-issuer=https://kubernetes.default.svc`,
    `--service-account-key-file=${c.pki.serviceAccount.publicKey}`,
    `--service-account-signing-key-file=${c.pki.serviceAccount.privateKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--allow-privileged=true',
    `--kubelet-client-certificate=${c.pki.kubeletClient.cert}`,
    `--kubelet-client-key=${c.pki.kubeletClient.key}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname',
    // The "kubernetes" Service endpoints: a loopback address is invalid there, and the lease reconciler
    // stalls the API server's shutdown; the launcher writes the EndpointSlice for a member with real nodes.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
  ];
}

/**
 * kube-system/kubeadm-config as kubeadm writes it (pure): the cluster's pod and Service CIDRs, the member's own
 * statement of its --cluster-cidr for anything that reads it through the API (the Calico tactic's pool).
 */
export function kubeadmConfig(clusterCidr: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kubeadm-config', namespace: 'kube-system' },
    data: {
      ClusterConfiguration: `apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: ${clusterCidr}\n  serviceSubnet: ${SERVICE_CIDR}\n`,
    },
  } as KubeObject;
}

export function controllerManagerArgs(paths: ClusterPaths, pki: ClusterPki, port: number, clusterCidr = CLUSTER_CIDR): string[] {
  return [
    `--kubeconfig=${paths.adminKubeconfig}`,
    `--authentication-kubeconfig=${paths.adminKubeconfig}`,
    `--authorization-kubeconfig=${paths.adminKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${path.join(paths.dir, 'kcm-certs')}`,
    '--leader-elect=false',
    `--service-account-private-key-file=${pki.serviceAccount.privateKey}`,
    `--root-ca-file=${pki.ca.cert}`,
    '--use-service-account-credentials=false',
    // Nodes get a podCIDR, as on kubenet clusters; the CNI tactic reads it.
    '--allocate-node-cidrs=true',
    `--cluster-cidr=${clusterCidr}`,
    '--node-cidr-mask-size=24',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    '--profiling=false',
  ];
}

export function schedulerArgs(paths: ClusterPaths, port: number): string[] {
  return [
    `--kubeconfig=${paths.adminKubeconfig}`,
    `--authentication-kubeconfig=${paths.adminKubeconfig}`,
    `--authorization-kubeconfig=${paths.adminKubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${path.join(paths.dir, 'scheduler-certs')}`,
    '--leader-elect=false',
    '--profiling=false',
  ];
}

export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/**
 * KWOK serves the fake nodes' kubelet endpoints on 0.0.0.0:nodePort, so every KWOK needs its own port
 * (a shared one made all but the first exit with "address already in use").
 */
export function kwokArgs(paths: ClusterPaths, nodePort: number): string[] {
  return [
    `--kubeconfig=${paths.adminKubeconfig}`,
    `--config=${path.join(paths.dir, 'kwok.yaml')}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    // Pod IPs KWOK reports are fake; a range that nothing on this machine routes.
    '--cidr=10.250.0.1/16',
    '--node-lease-duration-seconds=40',
    // KWOK's default node address is outside private ranges; a loopback address keeps API server
    // proxy calls to fake kubelets on this machine, answered by this KWOK.
    '--node-ip=127.0.0.254',
    `--node-port=${nodePort}`,
  ];
}

/** GET on a local health endpoint; TLS verification is off because the component's serving cert is self-signed. */
export function probeHealth(url: string, timeoutMs = 2000): Promise<boolean> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    const req = mod.get(url, { timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export interface Launched {
  record: ProcessRecord;
}

export function launch(name: string, cmd: string[], logDir: string): ProcessRecord {
  mkdirSync(logDir, { recursive: true });
  return startProcess(name, cmd, { logFile: path.join(logDir, `${name.replace(/\//g, '_')}.log`) });
}

export async function waitHealthy(rec: ProcessRecord, url: string, timeoutMs: number): Promise<void> {
  await waitFor(`${rec.name} (${url})`, () => probeHealth(url), {
    timeoutMs,
    describe: () => `${rec.name} log tail (${rec.logFile}):\n${logTail(rec.logFile)}`,
  });
}

export async function waitApiServerReady(rec: ProcessRecord, client: KubeClient, timeoutMs: number): Promise<void> {
  await waitFor(
    `${rec.name} /readyz`,
    async () => (await client.requestText('GET', '/readyz', { timeoutMs: 3000 })) === 'ok',
    { timeoutMs, describe: () => `${rec.name} log tail (${rec.logFile}):\n${logTail(rec.logFile)}` },
  );
}

export { binary };
