// PodPreset webhook benchmark on a real member API server: pod creation
// latency (p50/p99) and achieved rate at a target of 100 pods/s, without the
// webhook and with it (one matching preset), plus the webhook process's CPU
// and memory. Prints figures; asserts nothing.
//
//   node dist/benchmarks/podpreset-admission.js [--pods 1000] [--rate 100]
import https from 'node:https';
import type { KubeFedCluster } from '../api/kubefed.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL } from '../api/kubefed.js';
import { createLogger } from '../controller/logger.js';
import { KubeClient } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { down, up } from '../local-federation/launcher.js';
import { cpuSeconds, rssMiB } from '../local-federation/proc-stats.js';
import { PodPresetReconfigurator } from '../reconfigurators/podpreset/reconfigurator.js';
import { podCreationBurst } from '../evaluation/load.js';
import { percentile } from '../evaluation/stats.js';
import type { MemberContext } from '../reconfigurators/types.js';
import { sleep } from '../kube-client/wait.js';
import { probeThenReconfigure } from '../reconfigurators/run.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const pct = (xs: number[], p: number) => percentile([...xs].sort((a, b) => a - b), p);

async function burst(client: KubeClient, ns: string, pods: number, rate: number) {
  const r = await podCreationBurst(client, ns, pods, rate);
  return { p50: +pct(r.latenciesMs, 50).toFixed(1), p99: +pct(r.latenciesMs, 99).toFixed(1), achievedPerSecond: +r.achievedPerSecond.toFixed(1), errors: r.errors };
}

const pods = arg('pods', 1000);
const rate = arg('rate', 100);
const state = await up({ instance: 'benchpp', members: 1, nodesPerMember: 0, realNode: 'off', quiet: true });
const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
const member = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.name === 'member-1')!.kubeconfig);
try {
  const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-1'));
  const ctx: MemberContext = {
    cluster: 'member-1', annotations: kfc.metadata.annotations ?? {}, client: member, log: createLogger('warn'),
    signal: new AbortController().signal, options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 }, now: () => new Date(), event: () => undefined,
  };
  const mkns = (name: string) => member.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await mkns('bench-a');
  await burst(member, 'bench-a', 100, rate); // warm-up
  await member.delete('/api/v1/namespaces/bench-a');
  await mkns('bench-without');
  const without = await burst(member, 'bench-without', pods, rate);

  const r = new PodPresetReconfigurator();
  await probeThenReconfigure(r, ctx, { name: 'podpreset' });
  const verified = await r.verify(ctx, { name: 'podpreset' }, 60_000);
  if (verified.state !== 'Supported') throw new Error(`webhook not working: ${verified.message}`);
  await mkns('bench-with');
  await member.post('/apis/settings.k8s.io/v1alpha1/namespaces/bench-with/podpresets', {
    apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'db' },
    spec: { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'DB_PORT', value: '6379' }], volumeMounts: [{ name: 'c', mountPath: '/c' }], volumes: [{ name: 'c', emptyDir: {} }] },
  });
  await sleep(2000); // the webhook's informer sees the preset
  const webhook = state.processes.find((p) => p.name === 'member-1/podpreset-webhook')!;
  const cpu0 = cpuSeconds(webhook.pid);
  const t0 = performance.now();
  const withHook = await burst(member, 'bench-with', pods, rate);
  const cpuUsed = cpuSeconds(webhook.pid) - cpu0;
  const wall = (performance.now() - t0) / 1000;
  const check = await member.get<{ metadata: { annotations?: Record<string, string> } }>('/api/v1/namespaces/bench-with/pods/p-0');
  if (!check.metadata.annotations?.['podpreset.admission.kubernetes.io/podpreset-db']) throw new Error('preset was not applied during the run');
  const rows = [
    { run: 'without webhook', ...without },
    { run: 'with webhook + 1 preset', ...withHook },
  ];
  console.table(rows);
  const port = new URL(kfc.metadata.annotations!['fedfeat.io/podpreset-webhook-url']!).port;
  const metricsText = await new Promise<string>((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/metrics', rejectUnauthorized: false }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
  const sum = Number(/^podpreset_webhook_review_seconds_sum (\S+)/m.exec(metricsText)?.[1] ?? NaN);
  const count = Number(/^podpreset_webhook_review_seconds_count (\S+)/m.exec(metricsText)?.[1] ?? NaN);
  const dsum = Number(/^podpreset_webhook_decide_seconds_sum (\S+)/m.exec(metricsText)?.[1] ?? NaN);
  const handshakes = Number(/^podpreset_webhook_tls_handshakes_total (\S+)/m.exec(metricsText)?.[1] ?? NaN);
  const summary = {
    handlerMeanMs: +((sum / count) * 1000).toFixed(3),
    decideMeanMs: +((dsum / count) * 1000).toFixed(3),
    tlsHandshakes: handshakes,
    pods, targetRate: rate,
    addedP50Ms: +(withHook.p50 - without.p50).toFixed(1), addedP99Ms: +(withHook.p99 - without.p99).toFixed(1),
    webhookCpuPercentOfOneCore: +((cpuUsed / wall) * 100).toFixed(1), webhookRssMiB: rssMiB(webhook.pid),
  };
  console.table([summary]);
  process.stdout.write(`${JSON.stringify({ rows, summary })}\n`);
} finally {
  member.close();
  host.close();
  await down('benchpp', { purge: true, quiet: true });
}
