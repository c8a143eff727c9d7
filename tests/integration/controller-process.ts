// The controller as users run it: a separate process, installed with the
// project's manifests and acting with the least-privilege ServiceAccount
// those manifests create (so a missing RBAC rule fails these tests).
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { KubeClient } from '../../kube-client/client.js';
import {
  controllerHttpGet as get, controllerKubeconfig as saKubeconfig, installHostManifests as installManifests, kubectl as hostKubectl, spawnController,
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

export async function startController(kubeconfig: string, identity: string, port: number, extra: string[] = []): Promise<ControllerProcess> {
  const logFile = path.join(federation().dir, 'logs', `test-controller-${identity}.log`);
  const child = spawnController(kubeconfig, port, identity, logFile, ['--health-period-seconds', '2', '--resync-seconds', '30', ...extra]);
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
