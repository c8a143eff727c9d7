// Network coordinates and latency-aware placement on a local federation with
// delays: each member's API server sits behind a delay proxy
// (local-federation/delay-proxy.ts; this kernel has no netem) shaped like a
// fog topology — edge sites a few ms from the controller and one cloud site
// tens of ms away. The controller learns ClusterCoordinates from its health
// probes; the script reports how fast and how well they settle, then weighs
// placements with origins at two edge sites — the Latency policy's weights vs
// an even split (what worst fit gives on equal capacity) — by mean
// origin-to-replica RTT, and how fast the coordinates follow when one site's
// delay changes. Prints figures; asserts nothing.
//
//   node dist/benchmarks/latency-placement.js [--delays 2,4,6,40] [--replicas 12] [--change member-2=30] [--timeout-seconds 240]
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
import { latencyWeights, meanOriginToReplicaRtt, meanOriginToReplicaRttSpread, proportional } from '../placement/latency.js';

const { values } = parseArgs({
  options: {
    delays: { type: 'string', default: '2,4,6,40' },
    replicas: { type: 'string', default: '12' },
    change: { type: 'string', default: 'member-2=30' },
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

    // 2. Placement with origins at the two nearest edge sites.
    const report = (label: string, coords: Map<string, ClusterCoordinateObject>) => {
      const c = new Map<string, Coordinate>([...coords].map(([k, o]) => [k, fromMilliseconds(o.coordinate)]));
      const origins = members.slice(0, 2).filter((m) => c.has(m.name)).map((m) => ({ name: m.name, coordinate: c.get(m.name)!, share: 1 }));
      const w = latencyWeights(origins, members.filter((m) => c.has(m.name)).map((m) => ({ name: m.name, coordinate: c.get(m.name)! })));
      const latency = proportional(replicas, w.weights);
      const even = proportional(replicas, new Map(members.map((m) => [m.name, 1])));
      console.log(`${label}: origins ${origins.map((o) => o.name).join(' + ')} (equal traffic), ${replicas} replicas`);
      console.log('policy | replicas per member | mean origin→replica RTT, requests spread over replicas (ms) | to the nearest replica (ms)');
      for (const [name, plan] of [['Latency (α 0.8, β 0.1/ms)', latency], ['even split (worst fit, equal capacity)', even]] as const) {
        console.log(`${name} | ${members.map((m) => `${m.name}=${plan.get(m.name) ?? 0}`).join(' ')} | ${fmt(meanOriginToReplicaRttSpread(plan, origins, c))} | ${fmt(meanOriginToReplicaRtt(plan, origins, c))}`);
      }
    };
    report('placement from the settled coordinates', last);

    // 3. One site's delay changes: how fast the stored coordinate follows.
    const proxy = proxies.get(changeMember);
    if (proxy) {
      const before = last.get(changeMember)?.predictedRTTMilliseconds ?? Number.NaN;
      const target = Number(changeMs);
      proxy.setRttMs(target);
      const t1 = performance.now();
      let followedAt: number | undefined;
      while (performance.now() - t1 < timeoutMs) {
        last = await coordinates(host);
        const o = last.get(changeMember);
        if (o && o.predictedRTTMilliseconds >= 0.9 * o.measuredRTTMilliseconds && o.measuredRTTMilliseconds >= target) { followedAt = (performance.now() - t1) / 1000; break; }
        await sleep(1000);
      }
      const o = last.get(changeMember);
      console.log(`${changeMember}: delay ${proxy === undefined ? '?' : ''}changed to +${target} ms; stored prediction ${fmt(before)} → ${o ? fmt(o.predictedRTTMilliseconds) : '-'} ms ` +
        (followedAt === undefined ? `not followed within ${timeoutMs / 1000} s` : `followed in ${fmt(followedAt)} s`));
      report('placement after the change', last);
    }
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
