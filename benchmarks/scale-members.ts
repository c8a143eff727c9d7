// Scale benchmark: how the controller copes with many members. For each N,
// N KubeFedCluster aliases are registered on the host of one small local
// federation, each pointing (round-robin) at one of its real KWOK-only member
// API servers with that member's own token, and one inform-mode FeatureConfig
// selects them all. Prints figures; asserts nothing.
//
//   node dist/benchmarks/scale-members.js [--aliases 100,1000,3500] [--timeout-seconds 300] [--idle-seconds 30]
//     [--controller-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"]   (Node options for the controller, to profile it)
//
// Every wait is bounded by --timeout-seconds: a controller that cannot report
// every member is shown as "not all reported" with the count it reached.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../api/kubefed.js';
import { listClusterFeatureStatuses, type ClusterFeatureStatusObject } from '../api/cluster-feature-status.js';
import type { FeatureConfig } from '../api/featureconfig.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { sleep } from '../kube-client/wait.js';
import { freePort } from '../local-federation/free-port.js';
import { controllerHttpGet, controllerKubeconfig, installHostManifests, spawnController } from '../local-federation/host-install.js';
import { down, up } from '../local-federation/launcher.js';
import { cpuSeconds, rssKiB } from '../local-federation/proc-stats.js';
import { hostRegistrationObjects } from '../local-federation/registration.js';
import type { FederationState } from '../local-federation/state.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};

const INSTANCE = 'benchscale';
const FC_NAME = 'scale';
const ALIAS_LABEL = 'fedfeat.io/scale-alias';
const FIELD_MANAGER = 'fedfeat-bench';
const FC_API = 'feature.kubefed.io/v1alpha1';
const fcPath = resourcePath(FC_API, 'featureconfigs', undefined, FC_NAME);
const kfcPath = resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE);
const leasePath = resourcePath('coordination.k8s.io/v1', 'leases', KUBEFED_NAMESPACE, 'fedfeat-controller');
const aliasName = (i: number) => `alias-${String(i + 1).padStart(4, '0')}`;

/** ClusterFeatureStatus objects of the benchmark's FeatureConfig. */
const memberObjects = (host: KubeClient): Promise<ClusterFeatureStatusObject[]> => listClusterFeatureStatuses(host, FC_NAME);

/** Members with a result (status.members.reported; the objects while the status is not written yet). */
async function reportedCount(host: KubeClient, fc: FeatureConfig | undefined): Promise<number> {
  if (fc?.status?.members) return fc.status.members.reported;
  return (await memberObjects(host)).length;
}

/** Host API server requests so far (every apiserver_request_total series summed), total and writes. */
async function hostRequests(host: KubeClient): Promise<{ total: number; writes: number }> {
  const text = await host.requestText('GET', '/metrics', { timeoutMs: 60_000 });
  let total = 0;
  let writes = 0;
  for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm)) {
    const n = Number(m[2]);
    total += n;
    if (/verb="(POST|PUT|PATCH|APPLY|DELETE|DELETECOLLECTION)"/.test(m[1]!)) writes += n;
  }
  return { total, writes };
}

/**
 * Host request rates between two samples. They include the benchmark's own polling (about one GET
 * a second): subtracting it would be a guess, as not every request of ours lands in the metric.
 */
function rates(a: { total: number; writes: number; t: number }, b: typeof a) {
  const s = (b.t - a.t) / 1000;
  return { perSec: +((b.total - a.total) / s).toFixed(1), writesPerSec: +((b.writes - a.writes) / s).toFixed(1) };
}

async function sampleHost(host: KubeClient) {
  return { ...(await hostRequests(host)), t: performance.now() };
}

/**
 * Polls fn every intervalMs until it returns true; seconds taken, or undefined when timeoutMs passes
 * or giveUp() holds (the controller exited: waiting on would only burn the timeout).
 */
async function until(fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 1000, giveUp = () => false): Promise<number | undefined> {
  const t0 = performance.now();
  for (;;) {
    if (await fn().catch(() => false)) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 >= timeoutMs || giveUp()) return undefined;
    await sleep(intervalMs);
  }
}

/** Runs fn over items, `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Peak RSS of a process, sampled every 500 ms until stopped. */
function rssSampler(pid: number) {
  let peakKiB = rssKiB(pid);
  const timer = setInterval(() => (peakKiB = Math.max(peakKiB, rssKiB(pid))), 500);
  return { peakMiB: () => Math.round(peakKiB / 1024), stop: () => clearInterval(timer) };
}

const cpu = (pid: number) => {
  try {
    return cpuSeconds(pid);
  } catch {
    return NaN; // the process is gone: the leadership column says so
  }
};

/** Registration objects (token Secret + KubeFedCluster) for N aliases, round-robin over the KWOK-only members. */
async function aliasObjects(state: FederationState, host: KubeClient, n: number): Promise<KubeObject[]> {
  const members = state.clusters.filter((c) => c.role === 'member' && c.name !== state.realNetwork?.member);
  const regs = await Promise.all(members.map(async (m) => {
    const kfc = await host.get<KubeFedCluster>(`${kfcPath}/${m.name}`);
    const secret = await host.get<{ data: Record<string, string> }>(resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, kfc.spec.secretRef.name));
    const decode = (k: string) => Buffer.from(secret.data[k] ?? '', 'base64').toString('utf8');
    return { apiEndpoint: kfc.spec.apiEndpoint, token: decode('token'), caPem: decode('ca.crt') };
  }));
  return Array.from({ length: n }, (_, i) => {
    const { secret, cluster } = hostRegistrationObjects({ memberName: aliasName(i), ...regs[i % regs.length]!, labels: { [ALIAS_LABEL]: 'true' } });
    secret.metadata.labels = { ...secret.metadata.labels, [ALIAS_LABEL]: 'true' }; // so deletecollection finds them too
    return [secret, cluster];
  }).flat();
}

const objectPath = (o: KubeObject) =>
  o.kind === 'Secret' ? resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, o.metadata.name) : `${kfcPath}/${o.metadata.name}`;

/** The controller's warnings and errors in its log: how many, and the most frequent message. */
function logProblems(logFile: string): { count: number; top: string; lostLeadership: boolean } {
  const counts = new Map<string, number>();
  let lostLeadership = false;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (line.includes('lost leadership')) lostLeadership = true;
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as { level?: string; message?: string; error?: string };
      if (e.level !== 'warn' && e.level !== 'error') continue;
      // Member names and numbers vary per line; folded so one cause counts once.
      const key = `${e.message ?? ''}${e.error ? `: ${e.error}` : ''}`.replace(/alias-\d+/g, 'alias-*').replace(/\d{2,}/g, 'N').slice(0, 140);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // a torn line at the end of a live log
    }
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  return { count: sorted.reduce((s, [, c]) => s + c, 0), top: sorted[0] ? `${sorted[0][1]}× ${sorted[0][0]}` : '', lostLeadership };
}

async function stopController(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function runOne(state: FederationState, host: KubeClient, n: number, timeoutMs: number, idleSeconds: number): Promise<Record<string, number | string>> {
  const identity = `scale-${n}`;
  const port = await freePort();
  const logFile = path.join(state.dir, 'logs', `scale-controller-${n}.log`);
  const kubeconfig = await controllerKubeconfig(state, host);
  // The same intervals as the controller benchmark (and the controller's defaults).
  const nodeArgs = arg('controller-node-args', '').split(' ').filter(Boolean);
  const child = spawnController(kubeconfig, port, identity, logFile, ['--health-period-seconds', '10', '--resync-seconds', '60'], nodeArgs);
  const rss = rssSampler(child.pid!);
  const row: Record<string, number | string> = { aliases: n };
  try {
    const exited = () => child.exitCode !== null || child.signalCode !== null;
    const leading = await until(async () => (await controllerHttpGet(port, '/metrics')).body.includes('fedfeat_leader 1'), 60_000, 250, exited);
    if (leading === undefined) throw new Error(`controller ${identity} did not become leader within 60 s; see ${logFile}`);
    const holder = async () => (await host.getOptional<{ spec?: { holderIdentity?: string } }>(leasePath))?.spec?.holderIdentity ?? '';
    // The metric flips as the elector's thread reports leading; the Lease read can still lag it briefly.
    await until(async () => (await holder()) === identity, 30_000, 250, exited);
    const holderAtStart = await holder();
    const why = (timedOut: string) => (exited() ? `controller exited (${timedOut})` : `${timedOut} after ${timeoutMs / 1000} s`);

    // Register the aliases, then wait until the controller has health-probed every one (Ready on its KubeFedCluster).
    const objs = await aliasObjects(state, host, n);
    let t = performance.now();
    await pool(objs, 16, (o) => host.apply(objectPath(o), o, FIELD_MANAGER));
    row.registerSeconds = +((performance.now() - t) / 1000).toFixed(1);
    let ready = 0;
    const readySeconds = await until(async () => {
      const list = await host.list<KubeFedCluster>(kfcPath, { query: { labelSelector: `${ALIAS_LABEL}=true` }, timeoutMs: 60_000 });
      ready = list.items.filter((k) => k.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      return ready === n;
    }, timeoutMs, 2000, exited);
    row.aliasesReadySeconds = readySeconds === undefined ? why(`${ready}/${n} Ready`) : +readySeconds.toFixed(1);

    if (!exited()) {
      // Apply the FeatureConfig; time until every alias is reported.
      const fc: KubeObject = {
        apiVersion: FC_API, kind: 'FeatureConfig', metadata: { name: FC_NAME },
        spec: { podpreset: true, networkpolicy: true, mode: 'inform', clusterSelector: { matchLabels: { [ALIAS_LABEL]: 'true' } } },
      };
      const h0 = await sampleHost(host);
      const cpu0 = cpu(child.pid!);
      t = performance.now();
      await host.apply(fcPath, fc, FIELD_MANAGER);
      let reported = 0;
      const reportedSeconds = await until(async () => {
        reported = await reportedCount(host, await host.getOptional<FeatureConfig>(fcPath, { timeoutMs: 60_000 }));
        return reported === n;
      }, timeoutMs, 1000, exited);
      const h1 = await sampleHost(host);
      const cpu1 = cpu(child.pid!);
      row.applyToAllReportedSeconds = reportedSeconds === undefined ? `not all reported: ${why(`${reported}/${n}`)}` : +reportedSeconds.toFixed(1);
      row.controllerCpuSecondsRun = +(cpu1 - cpu0).toFixed(1);
      Object.assign(row, Object.fromEntries(Object.entries(rates(h0, h1)).map(([k, v]) => [`hostRun_${k}`, v])));

      // Every per-member object written: the writer drains its queue at most 50 writes/s after the members are reported.
      let written = 0;
      const writtenSeconds = await until(async () => {
        written = (await memberObjects(host)).length;
        return written === n;
      }, timeoutMs, 2000, exited);
      row.applyToAllObjectsWrittenSeconds = writtenSeconds === undefined ? `not all written: ${why(`${written}/${n}`)}` : +((performance.now() - t) / 1000).toFixed(1);

      if (!exited()) {
        // Idle, once nothing is left to write: health probes, resyncs and status refreshes go on.
        const h2a = await sampleHost(host);
        const cpu2a = cpu(child.pid!);
        await sleep(idleSeconds * 1000);
        const h2 = await sampleHost(host);
        row.controllerCpuPercentIdle = +((100 * (cpu(child.pid!) - cpu2a)) / idleSeconds).toFixed(0);
        Object.assign(row, Object.fromEntries(Object.entries(rates(h2a, h2)).map(([k, v]) => [`hostIdle_${k}`, v])));
      }

      // The largest objects fedfeat writes: the FeatureConfig (status included) and the biggest per-member object.
      const fcText = await host.requestText('GET', fcPath, { timeoutMs: 60_000 }).catch(() => '');
      row.featureConfigKiB = +(Buffer.byteLength(fcText) / 1024).toFixed(1);
      const cfs = await memberObjects(host);
      row.largestMemberObjectBytes = Math.max(0, ...cfs.map((o) => Buffer.byteLength(JSON.stringify(o))));
    }
    row.controllerPeakRssMiB = rss.peakMiB();

    // Delete the FeatureConfig and the aliases; time until the FeatureConfig and every per-member object is gone.
    t = performance.now();
    await host.delete(fcPath);
    for (const p of [kfcPath, resourcePath('v1', 'secrets', KUBEFED_NAMESPACE)]) {
      await host.delete(p, { query: { labelSelector: `${ALIAS_LABEL}=true` }, timeoutMs: 120_000 });
    }
    let left = '';
    const goneSeconds = await until(async () => {
      const fcLeft = (await host.getOptional(fcPath)) ? 1 : 0;
      const cfsLeft = (await memberObjects(host)).length;
      left = `FeatureConfig ${fcLeft}, ClusterFeatureStatus ${cfsLeft} left`;
      return fcLeft + cfsLeft === 0;
    }, timeoutMs, 1000, exited);
    row.deleteToAllGoneSeconds = goneSeconds === undefined ? `not all gone: ${why(left)}` : +goneSeconds.toFixed(1);
    // Nobody left to remove the finalizer once the controller is gone; cleared so the next N starts clean.
    if (exited()) await host.mergePatch(fcPath, { metadata: { finalizers: null } }).catch(() => undefined);

    const alive = child.exitCode === null && child.signalCode === null;
    const problems = logProblems(logFile);
    const holderAtEnd = await holder();
    row.leadershipKept = alive && !problems.lostLeadership && holderAtStart === identity && holderAtEnd === identity
      ? 'yes' : `no (alive ${alive}, "lost leadership" in log ${problems.lostLeadership}, holder ${holderAtStart} → ${holderAtEnd})`;
    row.controllerWarnings = problems.count;
    if (problems.top) row.topWarning = problems.top;
    return row;
  } finally {
    rss.stop();
    await stopController(child);
  }
}

const aliases = arg('aliases', '100,1000').split(',').map(Number);
const timeoutMs = Number(arg('timeout-seconds', '300')) * 1000;
const idleSeconds = Number(arg('idle-seconds', '30'));
if (aliases.some((n) => !Number.isInteger(n) || n < 1 || n > 9999)) throw new Error('--aliases: whole numbers from 1 to 9999, comma-separated');

const results: Array<Record<string, number | string>> = [];
const state = await up({ instance: INSTANCE, members: 3, nodesPerMember: 5, realNode: 'off', quiet: true });
const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
try {
  installHostManifests(state);
  for (const n of aliases) {
    process.stderr.write(`benchmark: ${n} aliases...\n`);
    try {
      results.push(await runOne(state, host, n, timeoutMs, idleSeconds));
    } catch (e) {
      // One N failing (say the controller never leads) still lets the others run; the row says why.
      results.push({ aliases: n, error: (e as Error).message.slice(0, 300) });
      // Clean up for the next N; the controller that would remove the finalizer is stopped by now.
      await host.delete(fcPath).catch(() => false);
      await host.mergePatch(fcPath, { metadata: { finalizers: null } }).catch(() => undefined);
      for (const p of [kfcPath, resourcePath('v1', 'secrets', KUBEFED_NAMESPACE)]) {
        await host.delete(p, { query: { labelSelector: `${ALIAS_LABEL}=true` }, timeoutMs: 120_000 }).catch(() => false);
      }
    }
  }
} finally {
  host.close();
  await down(INSTANCE, { purge: true, quiet: true });
}
console.table(results);
process.stdout.write(`${JSON.stringify(results)}\n`);
