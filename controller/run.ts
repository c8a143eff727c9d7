// Running the controller as a process: host client, leader election, the
// HTTP endpoints (/metrics, /healthz, /readyz) and clean shutdown on SIGTERM.
import http from 'node:http';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../kube-client/client.js';
import { defaultRegistry } from '../reconfigurators/registry.js';
import { DEFAULT_OPTIONS, FeatureController, type ControllerOptions } from './controller.js';
import { LeaderElectionThread } from './leader-election-thread.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { endpoints } from './endpoints.js';

export interface RunOptions {
  kubeconfig?: string;
  listen: string;
  leaderElect: boolean;
  leaseNamespace: string;
  identity?: string;
  calicoManifestURL?: string;
  calicoImageRegistry?: string;
  controller: Partial<ControllerOptions>;
}

export async function runController(o: RunOptions): Promise<void> {
  const log = createLogger();
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else kc.loadFromDefault(); // in-cluster service account when run as a Deployment
  const host = await KubeClient.fromKubeConfig(kc);
  const metrics = new Metrics().withProcessMetrics();
  const opts: ControllerOptions = { ...DEFAULT_OPTIONS, ...o.controller, probe: { ...DEFAULT_OPTIONS.probe, ...o.controller.probe } };
  const controller = new FeatureController(host, defaultRegistry({ calicoManifestURL: o.calicoManifestURL, calicoImageRegistry: o.calicoImageRegistry }), log, metrics, opts);
  const identity = o.identity ?? `${os.hostname()}_${process.pid}`;
  // Its own thread and client: renewals go on while this thread is busy (see leader-election-thread.ts).
  const elector = new LeaderElectionThread(log, {
    kubeconfig: o.kubeconfig,
    election: {
      namespace: o.leaseNamespace, name: 'fedfeat-controller', identity,
      leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000,
    },
    logLevel: log.level,
    // Exits on "stopped-leading" below; if this thread is blocked, the worker ends the process
    // itself 2 s later, still 3 s before the lease (15 s) can expire for a standby.
    killAfterLostMs: 2_000,
  });
  let started = false;

  // Longest delay since the previous scrape (a 20 s block shows as one 20 s sample).
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  metrics.addCollector(() => {
    metrics.set('fedfeat_event_loop_lag_seconds', {}, eventLoopLagSeconds(loopDelay));
    loopDelay.reset();
    metrics.set('fedfeat_leader', {}, elector.isLeader() || !o.leaderElect ? 1 : 0);
    const renewed = elector.lastRenewAt();
    if (renewed !== undefined && elector.isLeader()) metrics.set('fedfeat_leader_lease_renew_age_seconds', {}, (Date.now() - renewed) / 1000);
    metrics.set('fedfeat_workqueue_depth', {}, controller.queue.depth);
    const health = controller.members.probeStats;
    metrics.set('fedfeat_members', {}, controller.members.list().length);
    metrics.set('fedfeat_member_health_probes_total', {}, health.probes);
    metrics.set('fedfeat_member_health_probes_skipped_total', {}, health.skipped);
    metrics.set('fedfeat_member_health_probes_in_flight', {}, health.inFlight);
    metrics.set('fedfeat_member_health_status_writes_total', { outcome: 'written' }, controller.members.statusStats.writes);
    metrics.set('fedfeat_member_health_status_writes_total', { outcome: 'skipped' }, controller.members.statusStats.skipped);
    for (const [outcome, n] of Object.entries(controller.memberStatus.stats)) metrics.set('fedfeat_cluster_feature_status_writes_total', { outcome }, n);
    for (const [outcome, n] of Object.entries(controller.events.stats)) metrics.set('fedfeat_events_total', { outcome }, n);
    for (const m of controller.members.list()) metrics.set('fedfeat_member_ready', { cluster: m.name }, m.ready ? 1 : 0);
    for (const [cluster, n] of Object.entries(controller.memberRequestCounts())) metrics.set('fedfeat_member_api_requests_total', { cluster }, n);
  });

  const [hostname, port] = splitHostPort(o.listen);
  // Ready: caches synced while leading, or waiting as a healthy standby.
  const server = http.createServer(endpoints(metrics, () => (started ? controller.synced() : true)));
  await new Promise<void>((r) => server.listen(port, hostname, r));
  log.info('serving metrics and health', { listen: o.listen, identity });

  const shutdown = async (signal: string) => {
    log.info('shutting down', { signal });
    server.close();
    await controller.stop();
    await elector.release();
    host.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  const start = async () => {
    started = true;
    await controller.start();
  };
  if (!o.leaderElect) return start();
  await elector.run({
    onStarted: () => void start(),
    onLost: () => {
      // Another replica may act now; stop at once rather than race it.
      log.error('exiting: leadership lost');
      process.exit(1);
    },
  });
}

/** The histogram's max in seconds; 0 when it has no sample yet (its max is then 0 too, but min is huge). */
export function eventLoopLagSeconds(h: { max: number; count: number }): number {
  return h.count > 0 ? h.max / 1e9 : 0;
}

function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  const port = Number(listen.slice(i + 1));
  if (i < 0 || !Number.isInteger(port)) throw new Error(`--listen must be HOST:PORT (got "${listen}")`);
  return [listen.slice(0, i) || '0.0.0.0', port];
}
