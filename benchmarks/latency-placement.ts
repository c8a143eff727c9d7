// Network coordinates and latency-aware placement on a local federation with
// delays: each member's API server sits behind a delay proxy
// (local-federation/delay-proxy.ts; this kernel has no netem) shaped like a
// fog topology — edge sites a few ms from the controller and one cloud site
// tens of ms away. The controller learns ClusterCoordinates from its health
// probes; the script reports how fast and how well they settle, then places
// the same workload twice through the controller — a FeaturePlacement with
// policy Latency (origins at the two nearest edge sites, equal traffic) and
// one with WorstFit, on the same members and capacity — and compares them by
// mean origin-to-replica RTT; then one site's delay changes and it times how
// fast the stored coordinate and the Latency placement follow. Prints figures;
// asserts nothing.
//
//   node dist/benchmarks/latency-placement.js [--delays 2,4,6,40] [--replicas 12] [--change member-3=30] [--timeout-seconds 240]
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ccoordPath, fromMilliseconds, type ClusterCoordinateObject } from '../api/cluster-coordinate.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL } from '../api/kubefed.js';
import { KubeClient } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { sleep } from '../kube-client/wait.js';
import { startDelayProxy, type DelayProxy } from '../local-federation/delay-proxy.js';
import { freePort } from '../local-federation/free-port.js';
import { controllerCommand, controllerKubeconfig, installHostManifests } from '../local-federation/host-install.js';
import { down, up } from '../local-federation/launcher.js';
import type { Coordinate } from '../coordinates/vivaldi.js';
import type { FeaturePlacement } from '../api/featureplacement.js';
import type { KubeObject } from '../kube-client/client.js';
import { PLACEMENT_NAMESPACE } from '../local-federation/registration.js';
import { meanOriginToReplicaRtt, meanOriginToReplicaRttSpread } from '../placement/latency.js';

const { values } = parseArgs({
  options: {
    delays: { type: 'string', default: '2,4,6,40' },
    replicas: { type: 'string', default: '12' },
    change: { type: 'string', default: 'member-3=30' },
    'timeout-seconds': { type: 'string', default: '240' },
  },
});
const delays = values.delays.split(',').map(Number);
const replicas = Number(values.replicas);
const [changeMember, changeMs] = values.change.split('=') as [string, string];
const timeoutMs = Number(values['timeout-seconds']) * 1000;
const instance = 'benchlatency';

const fmt = (x: number) => x.toFixed(1);

async function coordinates(host: KubeClient): Promise<Map<string, ClusterCoordinateObject>> {
  const items = (await host.list<ClusterCoordinateObject>(ccoordPath())).items;
  return new Map(items.map((o) => [o.cluster, o]));
}

const fpPath = (name: string) => resourcePath('feature.kubefed.io/v1alpha1', 'featureplacements', PLACEMENT_NAMESPACE, name);
const assignedOf = (p: FeaturePlacement) => new Map((p.status?.clusters ?? []).filter((c) => c.assigned > 0).map((c) => [c.name, c.assigned]));

/** A FeaturePlacement of `replicas` small pods (100m CPU, 64 MiB) with the given policy. */
function placement(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name, namespace: PLACEMENT_NAMESPACE },
    spec: {
      replicas, rebalance: true, ...spec,
      template: { spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'fedfeat.local/tools:1.0', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } } } },
    },
  } as KubeObject;
}

async function waitPlaced(host: KubeClient, name: string): Promise<FeaturePlacement | undefined> {
  const t = performance.now();
  while (performance.now() - t < timeoutMs) {
    const p = await host.getOptional<FeaturePlacement>(fpPath(name));
    if (p?.status?.summary === `${replicas}/${replicas}` && p.status.observedGeneration === p.metadata.generation) return p;
    await sleep(500);
  }
  return undefined;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const since = () => (performance.now() - t0) / 1000;
  const state = await up({ instance, members: delays.length, nodesPerMember: 2, realNode: 'off', quiet: true });
  const proxies = new Map<string, DelayProxy>();
  let child: ReturnType<typeof spawn> | undefined;
  const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
  try {
    installHostManifests(state);
    const members = state.clusters.filter((c) => c.role === 'member');
    for (const [i, m] of members.entries()) {
      const url = new URL(m.server);
      const proxy = await startDelayProxy({ host: url.hostname, port: Number(url.port) }, delays[i]!);
      proxies.set(m.name, proxy);
      // The controller reaches the member through the proxy: its health probes see the delay.
      await host.mergePatch(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, m.name), { spec: { apiEndpoint: `https://127.0.0.1:${proxy.port}` } });
    }
    console.log(`federation up with ${members.length} members behind delay proxies (${members.map((m, i) => `${m.name} +${delays[i]} ms`).join(', ')}) at ${fmt(since())} s`);
    const kubeconfig = await controllerKubeconfig(state, host);
    const port = await freePort();
    const [node, ...args] = controllerCommand(kubeconfig, `127.0.0.1:${port}`, 'bench', ['--health-period-seconds', '1', '--resync-seconds', '60']);
    const log = openSync(path.join(state.dir, 'logs', 'bench-controller.log'), 'a');
    child = spawn(node!, args, { stdio: ['ignore', log, log] });
    const started = performance.now();

    // 1. Settling: every member's stored coordinate predicts its measured RTT within 10 %, error under 0.3.
    let settledAt: number | undefined;
    let last = new Map<string, ClusterCoordinateObject>();
    while (performance.now() - started < timeoutMs) {
      last = await coordinates(host);
      const ok = members.every((m) => {
        const o = last.get(m.name);
        return o && Math.abs(o.predictedRTTMilliseconds - o.measuredRTTMilliseconds) <= 0.1 * o.measuredRTTMilliseconds && o.coordinate.error < 0.3;
      });
      if (ok) { settledAt = (performance.now() - started) / 1000; break; }
      await sleep(1000);
    }
    console.log(settledAt === undefined ? `coordinates did not settle within ${timeoutMs / 1000} s` : `coordinates settled (stored, predicted within 10 % of measured, error < 0.3) ${fmt(settledAt)} s after the controller started (health probes every 1 s; objects written at most every 30 s per member)`);
    console.log('member | added delay ms | measured RTT ms | predicted ms | relative error | Vivaldi error | samples');
    for (const [i, m] of members.entries()) {
      const o = last.get(m.name);
      if (!o) { console.log(`${m.name} | ${delays[i]} | - | - | - | - | -`); continue; }
      console.log(`${m.name} | ${delays[i]} | ${o.measuredRTTMilliseconds} | ${o.predictedRTTMilliseconds} | ${fmt(100 * Math.abs(o.predictedRTTMilliseconds - o.measuredRTTMilliseconds) / o.measuredRTTMilliseconds)} % | ${o.coordinate.error} | ${o.samples}`);
    }

    // 2. The same workload placed by the controller twice: Latency (origins at the two nearest edge sites) and WorstFit.
    const origins = members.slice(0, 2).map((m) => m.name);
    if (!(await host.getOptional(`/api/v1/namespaces/${PLACEMENT_NAMESPACE}`))) {
      await host.apply(`/api/v1/namespaces/${PLACEMENT_NAMESPACE}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PLACEMENT_NAMESPACE } } as KubeObject, 'bench');
    }
    // One after the other, so each sees the members' capacity without the other's pods.
    await host.apply(fpPath('bench-worstfit'), placement('bench-worstfit', { policy: 'WorstFit' }), 'bench');
    const worstFp = await waitPlaced(host, 'bench-worstfit');
    await host.delete(fpPath('bench-worstfit'));
    await host.waitGone([fpPath('bench-worstfit')], 60_000);
    await host.apply(fpPath('bench-latency'), placement('bench-latency', { policy: 'Latency', latency: { origins: origins.map((member) => ({ member, share: 1 })) } }), 'bench');
    const latencyFp = await waitPlaced(host, 'bench-latency');
    const report = (label: string, coords: Map<string, ClusterCoordinateObject>, plans: Array<[string, FeaturePlacement | undefined]>) => {
      const c = new Map<string, Coordinate>([...coords].map(([k, o]) => [k, fromMilliseconds(o.coordinate)]));
      const o = origins.filter((m) => c.has(m)).map((m) => ({ name: m, coordinate: c.get(m)!, share: 1 }));
      console.log(`${label}: origins ${origins.join(' + ')} (equal traffic), ${replicas} replicas, RTTs predicted by the stored coordinates`);
      console.log('policy | replicas per member (the controller\'s decision) | mean origin→replica RTT, requests spread over replicas (ms) | to the nearest replica (ms)');
      for (const [name, fp] of plans) {
        if (!fp) { console.log(`${name} | not placed within ${timeoutMs / 1000} s | - | -`); continue; }
        const plan = assignedOf(fp);
        console.log(`${name} | ${members.map((m) => `${m.name}=${plan.get(m.name) ?? 0}`).join(' ')} | ${fmt(meanOriginToReplicaRttSpread(plan, o, c))} | ${fmt(meanOriginToReplicaRtt(plan, o, c))}`);
      }
    };
    last = await coordinates(host);
    report('placement from the settled coordinates', last, [['Latency (α 0.8, β 0.1/ms)', latencyFp], ['WorstFit (same members, equal capacity)', worstFp]]);

    // 3. One site's delay changes: how fast the stored coordinate and the Latency placement follow.
    const proxy = proxies.get(changeMember);
    if (proxy && latencyFp) {
      const before = last.get(changeMember)?.predictedRTTMilliseconds ?? Number.NaN;
      const held = assignedOf(latencyFp).get(changeMember) ?? 0;
      const target = Number(changeMs);
      proxy.setRttMs(target);
      const t1 = performance.now();
      let followedAt: number | undefined;
      let placedAt: number | undefined;
      let after: FeaturePlacement | undefined;
      while (performance.now() - t1 < timeoutMs && (followedAt === undefined || placedAt === undefined)) {
        last = await coordinates(host);
        const o = last.get(changeMember);
        if (followedAt === undefined && o && o.predictedRTTMilliseconds >= 0.9 * o.measuredRTTMilliseconds && o.measuredRTTMilliseconds >= target) followedAt = (performance.now() - t1) / 1000;
        const p = await host.getOptional<FeaturePlacement>(fpPath('bench-latency'));
        // Followed: fewer replicas there, decided from a stored coordinate that shows the new delay (not from noise).
        if (placedAt === undefined && p && o && o.predictedRTTMilliseconds >= target && (assignedOf(p).get(changeMember) ?? 0) < held) {
          placedAt = (performance.now() - t1) / 1000;
          after = p;
        }
        await sleep(500);
      }
      const o = last.get(changeMember);
      console.log(`${changeMember}: delay changed to +${target} ms; stored prediction ${fmt(before)} → ${o ? fmt(o.predictedRTTMilliseconds) : '-'} ms ` +
        (followedAt === undefined ? `not followed within ${timeoutMs / 1000} s` : `followed in ${fmt(followedAt)} s`) +
        `; Latency placement ${changeMember} ${held} → ${after ? assignedOf(after).get(changeMember) ?? 0 : held} replicas ` +
        (placedAt === undefined ? `(unchanged within ${timeoutMs / 1000} s)` : `${fmt(placedAt)} s after the change`));
      const latest = after ?? await host.getOptional<FeaturePlacement>(fpPath('bench-latency'));
      report('placement after the change', last, [['Latency (α 0.8, β 0.1/ms)', latest], ['WorstFit (same members, equal capacity; decided before the change)', worstFp]]);
    }
    await host.delete(fpPath('bench-latency')).catch(() => undefined);
  } finally {
    child?.kill('SIGTERM');
    for (const p of proxies.values()) await p.close();
    host.close();
    await down(instance, { quiet: true }).catch(() => undefined);
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
