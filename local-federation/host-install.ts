// Installing fedfeat on the local federation's host the way users install it on
// theirs: the project's manifests with kubectl, and the controller acting with
// the least-privilege ServiceAccount those manifests create.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { KubeClient } from '../kube-client/client.js';
import { repoRoot } from './repo-root.js';
import { waitFor } from '../kube-client/wait.js';
import type { FederationState } from './state.js';

export const CONTROLLER_SA = { namespace: 'kube-federation-system', name: 'fedfeat-controller' };

function hostCluster(state: FederationState) {
  const h = state.clusters.find((c) => c.role === 'host');
  if (!h) throw new Error(`federation "${state.instance}" has no host cluster`);
  return h;
}

/** Runs the federation's kubectl against one of its clusters (host by default). */
export function kubectl(state: FederationState, args: string[], opts: { input?: string; cluster?: string } = {}): string {
  const c = opts.cluster ? state.clusters.find((x) => x.name === opts.cluster) : hostCluster(state);
  if (!c) throw new Error(`no cluster ${opts.cluster} in federation "${state.instance}"`);
  return execFileSync(path.join(state.binDir, 'kubectl'), ['--kubeconfig', c.kubeconfig, ...args], {
    input: opts.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Applies manifests/<part> for each part (server-side, idempotent) and waits for the CRDs. */
export function installHostManifests(state: FederationState, parts: string[] = ['crds', 'rbac']): void {
  for (const part of parts) {
    kubectl(state, ['apply', '--server-side', '--field-manager=fedfeat-install', '--force-conflicts', '-k', path.join(repoRoot, 'manifests', part)]);
  }
  kubectl(state, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/featureconfigs.feature.kubefed.io']);
}

/** The overlay of manifests/ that runs the controller's Deployment from the locally built image (see its kustomization.yaml). */
export const IN_CLUSTER_OVERLAY = path.join(repoRoot, 'local-federation', 'in-cluster');
const CONTROLLER_DEPLOYMENT = `/apis/apps/v1/namespaces/${CONTROLLER_SA.namespace}/deployments/${CONTROLLER_SA.name}`;
const CONTROLLER_LEASE = `/apis/coordination.k8s.io/v1/namespaces/${CONTROLLER_SA.namespace}/leases/${CONTROLLER_SA.name}`;

/**
 * `kubectl apply -k local-federation/in-cluster` (everything in manifests/, the Deployment from the local image)
 * on a host with a real node; waits for every replica Ready and a leader among them. Returns the leader pod's IP.
 */
export async function installInCluster(state: FederationState, host: KubeClient, timeoutMs = 180_000): Promise<{ leader: string; podIP: string }> {
  if (!state.hostNode) throw new Error(`federation "${state.instance}" has no host node to run the controller's Deployment (started with --host-node off, or without real nodes)`);
  kubectl(state, ['apply', '--server-side', '--field-manager=fedfeat-install', '--force-conflicts', '-k', IN_CLUSTER_OVERLAY]);
  if (state.calico) useLocalCalico(state, state.calico);
  type Pod = { metadata: { name: string; deletionTimestamp?: string }; status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> } };
  return waitFor('the controller Deployment Ready with a leader', async () => {
    const d = await host.get<{ spec: { replicas: number }; status?: { readyReplicas?: number } }>(CONTROLLER_DEPLOYMENT);
    if ((d.status?.readyReplicas ?? 0) < d.spec.replicas) return undefined;
    const holder = (await host.getOptional<{ spec: { holderIdentity?: string } }>(CONTROLLER_LEASE))?.spec.holderIdentity;
    const pods = await host.list<Pod>(`/api/v1/namespaces/${CONTROLLER_SA.namespace}/pods`, { query: { labelSelector: `app.kubernetes.io/name=${CONTROLLER_SA.name}` } });
    // The controller's identity is `<hostname>_<pid>`, and a pod's hostname is its name.
    const leader = pods.items.find((p) => !p.metadata.deletionTimestamp && holder?.replace(/_\d+$/, '') === p.metadata.name);
    return leader?.status?.podIP ? { leader: leader.metadata.name, podIP: leader.status.podIP } : undefined;
  }, { timeoutMs, intervalMs: 500 });
}

/** Where the controller's pods find Calico's manifest (a ConfigMap volume). */
const CALICO_MANIFEST_DIR = '/etc/fedfeat/calico';

/**
 * Calico as this federation has it — the official manifest from the source the launcher built, and the images it
 * imported into the real nodes — handed to the controller's pods: the manifest in a ConfigMap (254 KB, under the
 * 1 MiB limit) mounted into the pod, and the two flags the host-process controller gets. A site would instead
 * point --calico-manifest-url at its own mirror; this is that mirror for a federation with no network.
 */
function useLocalCalico(state: FederationState, calico: NonNullable<FederationState['calico']>): void {
  const ns = CONTROLLER_SA.namespace;
  const cm = kubectl(state, ['create', 'configmap', 'fedfeat-calico-manifest', '-n', ns, `--from-file=calico.yaml=${calico.manifest}`, '--dry-run=client', '-o', 'yaml']);
  kubectl(state, ['apply', '--server-side', '--field-manager=fedfeat-install', '--force-conflicts', '-f', '-'], { input: cm });
  const patch = [
    // manifests/ gives the pod no volumes: these are its only ones.
    { op: 'add', path: '/spec/template/spec/volumes', value: [{ name: 'calico-manifest', configMap: { name: 'fedfeat-calico-manifest' } }] },
    { op: 'add', path: '/spec/template/spec/containers/0/volumeMounts', value: [{ name: 'calico-manifest', mountPath: CALICO_MANIFEST_DIR, readOnly: true }] },
    { op: 'add', path: '/spec/template/spec/containers/0/args/-', value: `--calico-manifest-url=file://${CALICO_MANIFEST_DIR}/calico.yaml` },
    { op: 'add', path: '/spec/template/spec/containers/0/args/-', value: `--calico-image-registry=${calico.imageRegistry}` },
  ];
  kubectl(state, ['-n', ns, 'patch', 'deployment', CONTROLLER_SA.name, '--type', 'json', '-p', JSON.stringify(patch)]);
}

/** A kubeconfig for the controller's ServiceAccount on the host (a TokenRequest token). */
export async function controllerKubeconfig(state: FederationState, host: KubeClient, expirationSeconds = 86_400): Promise<string> {
  const res = await host.post<{ status: { token: string } }>(
    `/api/v1/namespaces/${CONTROLLER_SA.namespace}/serviceaccounts/${CONTROLLER_SA.name}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
  );
  const h = hostCluster(state);
  const dir = path.join(state.dir, 'controller');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: host',
    'clusters:', '- name: host', '  cluster:', `    server: ${h.server}`, `    certificate-authority: ${h.caCert}`,
    'users:', `- name: ${CONTROLLER_SA.name}`, '  user:', `    token: ${res.status.token}`,
    'contexts:', '- name: host', `  context: {cluster: host, user: ${CONTROLLER_SA.name}}`, '',
  ].join('\n'), { mode: 0o600 });
  return file;
}

/** The `fedfeat controller` command line for a local federation (KWOK nodes are marked simulated). */
export function controllerCommand(kubeconfig: string, listen: string, identity: string, extra: string[] = [], nodeArgs: string[] = []): string[] {
  return [
    process.execPath, ...nodeArgs, path.join(repoRoot, 'bin', 'fedfeat.js'), 'controller', '--kubeconfig', kubeconfig, '--listen', listen,
    '--identity', identity, '--simulated-node-annotation', 'kwok.x-k8s.io/node=fake', ...extra,
  ];
}

/** Starts `fedfeat controller` as a child process logging (appending) to logFile; the caller waits for it. */
export function spawnController(kubeconfig: string, port: number, identity: string, logFile: string, extra: string[] = [], nodeArgs: string[] = []): ChildProcess {
  const fd = openSync(logFile, 'a');
  const [node, ...args] = controllerCommand(kubeconfig, `127.0.0.1:${port}`, identity, extra, nodeArgs);
  const child = spawn(node!, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd); // the child holds its own copy
  return child;
}

/** GET on a controller's local HTTP endpoints (/metrics, /healthz, /readyz). */
export function controllerHttpGet(port: number, p: string, timeoutMs = 3000): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    }).on('timeout', function (this: http.ClientRequest) {
      this.destroy(new Error(`GET ${p}: timed out after ${timeoutMs} ms`));
    }).on('error', reject);
  });
}
