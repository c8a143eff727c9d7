// Controller benchmark on real local federations: time from applying a
// FeatureConfig to every member reported, drift detection latency (a feature
// appearing on one member), controller memory, and the load the controller
// puts on each member API server when idle. Prints figures; asserts nothing.
//
//   node dist/benchmarks/controller.js [--members 3,10] [--nodes 5] [--idle-seconds 60]
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { FeatureConfig } from '../api/featureconfig.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { freePort } from '../local-federation/free-port.js';
import { controllerCommand, controllerKubeconfig, installHostManifests } from '../local-federation/host-install.js';
import { down, up } from '../local-federation/launcher.js';
import { rssMiB } from '../local-federation/proc-stats.js';
import { sleep } from '../kube-client/wait.js';
import { listClusterFeatureStatuses } from '../api/cluster-feature-status.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};

function metrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
}

const memberRequests = (text: string) => [...text.matchAll(/^fedfeat_member_api_requests_total\{cluster="([^"]+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])] as const);

async function until(fn: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await fn()) return (performance.now() - t0) / 1000;
    await sleep(100);
  }
  throw new Error('timed out');
}

async function run(members: number, nodes: number, idleSeconds: number): Promise<Record<string, number | string>> {
  const instance = `bench${members}`;
  const state = await up({ instance, members, nodesPerMember: nodes, realNode: 'off', quiet: true });
  const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
  const port = await freePort();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    installHostManifests(state);
    const kubeconfig = await controllerKubeconfig(state, host);
    const [node, ...args] = controllerCommand(kubeconfig, `127.0.0.1:${port}`, 'bench', ['--health-period-seconds', '10', '--resync-seconds', '60']);
    const log = openSync(path.join(state.dir, 'logs', 'bench-controller.log'), 'a');
    child = spawn(node!, args, { stdio: ['ignore', log, log] });
    await until(async () => (await metrics(port).catch(() => '')).includes('fedfeat_leader 1'), 60_000);
    await sleep(3000); // members registered and health-probed
    const fcPath = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, 'bench');
    const t0 = performance.now();
    await host.apply(fcPath, { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: 'bench' }, spec: { podpreset: true, networkpolicy: true, mode: 'inform' } } as KubeObject, 'bench');
    await until(async () => {
      const fc = await host.get<FeatureConfig>(fcPath);
      return fc.status?.members?.reported === members && fc.status.featureCounts !== undefined;
    }, 300_000);
    const applyToReported = (performance.now() - t0) / 1000;

    // Drift: a PodPreset API appears on the last member (a CRD, no webhook); how long until status says so.
    const last = state.clusters.filter((c) => c.role === 'member').at(-1)!;
    const m = await KubeClient.fromKubeConfig(last.kubeconfig);
    const t1 = performance.now();
    await m.apply('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io', {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
      metadata: { name: 'podpresets.settings.k8s.io', annotations: { 'api-approved.kubernetes.io': 'unapproved, benchmark' } },
      spec: { group: 'settings.k8s.io', scope: 'Namespaced', names: { plural: 'podpresets', singular: 'podpreset', kind: 'PodPreset' },
        versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    } as KubeObject, 'bench');
    await until(async () => {
      const [result] = (await listClusterFeatureStatuses(host, 'bench')).filter((o) => o.cluster === last.name);
      return result?.features.find((f) => f.name === 'podpreset')?.reason === 'WebhookNotConfigured';
    }, 120_000);
    const driftSeconds = (performance.now() - t1) / 1000;
    m.close();

    const before = memberRequests(await metrics(port));
    await sleep(idleSeconds * 1000);
    const after = memberRequests(await metrics(port));
    const perMin = after.map(([c, n]) => (n - (before.find(([b]) => b === c)?.[1] ?? 0)) / (idleSeconds / 60));
    return {
      members, nodesPerMember: nodes,
      applyToAllReportedSeconds: +applyToReported.toFixed(2),
      driftDetectedSeconds: +driftSeconds.toFixed(2),
      controllerRssMiB: rssMiB(child.pid!),
      idleRequestsPerMemberPerMinute: +(perMin.reduce((a, b) => a + b, 0) / perMin.length).toFixed(1),
      federationStartupSeconds: state.startupSeconds ?? 0,
    };
  } finally {
    child?.kill('SIGTERM');
    host.close();
    await down(instance, { purge: true, quiet: true });
  }
}

const results = [];
for (const n of arg('members', '3,10').split(',').map(Number)) {
  process.stderr.write(`benchmark: ${n} members...\n`);
  results.push(await run(n, Number(arg('nodes', '5')), Number(arg('idle-seconds', '60'))));
}
console.table(results);
process.stdout.write(`${JSON.stringify(results)}\n`);
