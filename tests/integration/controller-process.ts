// The controller as users run it: a separate process, installed with the
// project's manifests and acting with the least-privilege ServiceAccount
// those manifests create (so a missing RBAC rule fails these tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { KubeClient } from '../../kube-client/client.js';
import {
  controllerCommand, controllerKubeconfig as saKubeconfig, installHostManifests as installManifests, kubectl as hostKubectl,
} from '../../local-federation/host-install.js';
import { eventually, federation } from './federation.js';

export function kubectl(args: string[], opts: { input?: string; context?: string } = {}): string {
  return hostKubectl(federation(), args, { input: opts.input, cluster: opts.context });
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
/** CRDs and RBAC from manifests/ (not the Deployment: the host has no nodes; its dry run is tested). */
export function installHostManifests(): void {
  if (installed) return;
  installManifests(federation());
  installed = true;
}

export const controllerKubeconfig = (host: KubeClient) => saKubeconfig(federation(), host, 7200);

export interface ControllerProcess {
  child: ChildProcess;
  port: number;
  identity: string;
  kubeconfig: string;
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
  const [node, ...args] = controllerCommand(kubeconfig, `127.0.0.1:${port}`, identity, ['--health-period-seconds', '2', '--resync-seconds', '30', ...extra]);
  const child = spawn(node!, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  await eventually(`controller ${identity} serving /healthz`, async () => (await get(port, '/healthz')).code === 200, 30_000);
  return {
    child, port, identity, kubeconfig, logFile,
    metrics: async () => (await get(port, '/metrics')).body,
    stop: (signal = 'SIGTERM') => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    }),
  };
}
