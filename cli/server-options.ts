// What the long-running commands (controller, webhook podpreset) make of
// their flags. Types only from the server modules: main loads those when the
// command runs.
import type { RunOptions } from '../controller/run.js';
import type { WebhookRunOptions } from '../webhooks/podpreset/run.js';
import { UsageError, wholeNumber, type Command } from './args.js';

export function controllerOptions(v: Command<'controller'>['values']): RunOptions {
  const le = v['leader-elect'] ?? 'true';
  if (!['true', 'false'].includes(le)) throw new UsageError(`--leader-elect must be true or false (got "${le}")`);
  const annotation = v['simulated-node-annotation'];
  return {
    kubeconfig: v.kubeconfig,
    listen: v.listen ?? '127.0.0.1:8080',
    leaderElect: le === 'true',
    leaseNamespace: v['lease-namespace'] ?? 'kube-federation-system',
    identity: v.identity,
    calicoManifestURL: v['calico-manifest-url'],
    calicoImageRegistry: v['calico-image-registry'],
    controller: {
      resyncMs: wholeNumber(v['resync-seconds'], 'resync-seconds', 60) * 1000,
      workers: wholeNumber(v.workers, 'workers', 16),
      verifyTimeoutMs: wholeNumber(v['verify-timeout-seconds'], 'verify-timeout-seconds', 300) * 1000,
      health: {
        periodMs: wholeNumber(v['health-period-seconds'], 'health-period-seconds', 10) * 1000, timeoutMs: 3000, failureThreshold: 3, successThreshold: 1,
        // Unset flags leave the controller's defaults (DEFAULT_HEALTH) in place.
        ...(v['health-probe-concurrency'] !== undefined ? { concurrency: atLeastOne(v['health-probe-concurrency'], 'health-probe-concurrency') } : {}),
        ...(v['health-status-refresh-seconds'] !== undefined ? { statusRefreshMs: wholeNumber(v['health-status-refresh-seconds'], 'health-status-refresh-seconds', 300) * 1000 } : {}),
      },
      // 0 turns drift watches off: every member is then looked at by the resync only.
      ...(v['drift-watch-limit'] !== undefined ? { driftWatchLimit: wholeNumber(v['drift-watch-limit'], 'drift-watch-limit', 300) } : {}),
      ...(annotation ? { probe: { simulatedNodeAnnotation: annotation, nodeProbeConcurrency: 8, requestTimeoutMs: 10_000 } } : {}),
    },
  };
}

function atLeastOne(value: string, flag: string): number {
  const n = wholeNumber(value, flag, 1);
  if (n < 1) throw new UsageError(`--${flag} needs a whole number of at least 1 (got "${value}")`);
  return n;
}

export function webhookOptions(v: Command<'webhook podpreset'>['values']): WebhookRunOptions {
  return { kubeconfig: v.kubeconfig, listen: v.listen ?? '0.0.0.0:8443', tlsDir: v['tls-dir'], tlsSecret: v['tls-secret'] };
}
