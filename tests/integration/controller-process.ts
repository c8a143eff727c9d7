// The controller as users run it: a separate process, installed with the
// project's manifests and acting with the least-privilege ServiceAccount
// those manifests create (so a missing RBAC rule fails these tests).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync, closeSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { KubeClient } from '../../kube-client/client.js';
import { repoRoot } from '../../local-federation/repo-root.js';
import { cluster, eventually, federation } from './federation.js';

export function kubectl(args: string[], opts: { input?: string; context?: string } = {}): string {
  const f = federation();
  return execFileSync(path.join(f.binDir, 'kubectl'), ['--kubeconfig', cluster(opts.context ?? 'host').kubeconfig, ...args], {
    input: opts.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** kubectl that may fail: returns its exit code and both outputs. */
export function kubectlResult(args: string[], opts: { input?: string; context?: string } = {}): { code: number; stdout: string; stderr: string } {
  try {
    return { code: 0, stdout: kubectl(args, opts), stderr: '' };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

let installed = false;
/** CRDs and RBAC from manifests/ (the Deployment is not: the host has no nodes; its dry run is tested). */
export function installHostManifests(): void {
  if (installed) return;
  for (const part of ['crds', 'rbac']) {
    kubectl(['apply', '--server-side', '--field-manager=fedfeat-install', '--force-conflicts', '-k', path.join(repoRoot, 'manifests', part)]);
  }
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/featureconfigs.feature.kubefed.io']);
  installed = true;
}

/** A kubeconfig for the controller's ServiceAccount on the host (TokenRequest, 2 h). */
export async function controllerKubeconfig(host: KubeClient): Promise<string> {
  const res = await host.post<{ status: { token: string } }>(
    '/api/v1/namespaces/kube-federation-system/serviceaccounts/fedfeat-controller/token',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 7200 } },
  );
  const f = federation();
  const h = cluster('host');
  const dir = path.join(f.dir, 'test-controller');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config', 'current-context: host',
    'clusters:', `- name: host`, `  cluster:`, `    server: ${h.server}`, `    certificate-authority: ${h.caCert}`,
    'users:', `- name: fedfeat-controller`, `  user:`, `    token: ${res.status.token}`,
    'contexts:', `- name: host`, `  context: {cluster: host, user: fedfeat-controller}`, '',
  ].join('\n'), { mode: 0o600 });
  return file;
}

export interface ControllerProcess {
  child: ChildProcess;
  port: number;
  identity: string;
  logFile: string;
  metrics(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function get(port: number, p: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

export async function startController(kubeconfig: string, identity: string, port: number, extra: string[] = []): Promise<ControllerProcess> {
  const logFile = path.join(federation().dir, 'logs', `test-controller-${identity}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [
    path.join(repoRoot, 'bin', 'fedfeat.js'), 'controller', '--kubeconfig', kubeconfig, '--listen', `127.0.0.1:${port}`,
    '--identity', identity, '--simulated-node-annotation', 'kwok.x-k8s.io/node=fake', '--health-period-seconds', '2', '--resync-seconds', '30', ...extra,
  ], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  await eventually(`controller ${identity} serving /healthz`, async () => (await get(port, '/healthz')).code === 200, 30_000);
  return {
    child, port, identity, logFile,
    metrics: async () => (await get(port, '/metrics')).body,
    stop: (signal = 'SIGTERM') => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    }),
  };
}
