// PodPreset webhook benchmark: what admission costs with 10 and with 10,000
// presets in OTHER namespaces, side by side (presets are looked up by
// namespace, so the two should match). Prints figures; asserts nothing.
//
// 1. In process: PodPresetWebhook.review() on an informer cache fed by a fake
//    client, p50/p99 per decision, through the namespace index and, for
//    comparison, through a scan of the whole cache (what it did before).
// 2. End to end on a real member API server (skipped with --in-process-only):
//    pod creation latency (p50/p99) and achieved rate at a target of 100
//    pods/s, without the webhook, then with it (one matching preset) and 10,
//    then 10,000 presets in other namespaces; plus the webhook's decide time
//    from its /metrics and its CPU and memory.
//
//   node dist/benchmarks/podpreset-admission.js [--pods 1000] [--rate 100] [--decisions 20000] [--in-process-only]
import https from 'node:https';
import type { KubeFedCluster } from '../api/kubefed.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL } from '../api/kubefed.js';
import { createLogger } from '../controller/logger.js';
import { KubeClient } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { down, up } from '../local-federation/launcher.js';
import { cpuSeconds, rssMiB } from '../local-federation/proc-stats.js';
import { PodPresetReconfigurator } from '../reconfigurators/podpreset/reconfigurator.js';
import type { Pod, PodPreset } from '../reconfigurators/podpreset/podpreset-api.js';
import { podCreationBurst } from '../evaluation/load.js';
import { percentile } from '../evaluation/stats.js';
import type { MemberContext } from '../reconfigurators/types.js';
import { sleep } from '../kube-client/wait.js';
import { probeThenReconfigure } from '../reconfigurators/run.js';
import { PodPresetWebhook } from '../webhooks/podpreset/server.js';
import { applyPresets } from '../webhooks/podpreset/merge.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const pct = (xs: number[], p: number) => percentile([...xs].sort((a, b) => a - b), p);
const round = (x: number, digits = 1) => +x.toFixed(digits);

const pods = arg('pods', 1000);
const rate = arg('rate', 100);
const decisions = arg('decisions', 20_000);
const OTHERS = [10, 10_000];
const NS = 'bench-with';
const PRESET_SPEC = {
  selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'DB_PORT', value: '6379' }],
  volumeMounts: [{ name: 'c', mountPath: '/c' }], volumes: [{ name: 'c', emptyDir: {} }],
};
/** `n` presets spread over n/10 namespaces (at least one each), all selecting every pod of theirs. */
const otherPresets = (n: number, from = 0): PodPreset[] => Array.from({ length: n - from }, (_, j) => {
  const i = from + j;
  return {
    apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset',
    metadata: { name: `other-${i}`, namespace: `other-${Math.floor(i / 10)}`, uid: `u${i}`, resourceVersion: String(i + 2) },
    spec: { selector: {}, env: [{ name: `OTHER_${i}`, value: 'x' }] },
  };
});

/** Decision latency in process: the webhook's review() with its informer cache holding the given presets. */
async function inProcess(others: number) {
  const presets: PodPreset[] = [
    { apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'db', namespace: NS, uid: 'db', resourceVersion: '1' }, spec: PRESET_SPEC },
    ...otherPresets(others),
  ];
  const client = {
    list: async () => ({ metadata: { resourceVersion: '1' }, items: presets }),
    watch: (_p: string, _q: unknown, _on: unknown, signal?: AbortSignal) => new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true })),
  } as unknown as KubeClient;
  const webhook = new PodPresetWebhook(client, createLogger('warn'), { host: '127.0.0.1', port: 0, tls: { describe: 'none', load: async () => undefined } });
  webhook.presets.start();
  await webhook.presets.waitForSync();
  const pod: Pod = {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: NS, labels: { role: 'frontend' } },
    spec: { containers: [{ name: 'c', image: 'fedfeat.local/tools:1.0' }] },
  };
  const req = { uid: 'u', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: NS, object: pod };
  const time = (fn: () => unknown) => {
    const ms: number[] = [];
    for (let i = 0; i < decisions / 10; i++) fn(); // warm-up
    for (let i = 0; i < decisions; i++) {
      const t = process.hrtime.bigint();
      fn();
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return { p50: round(pct(ms, 50) * 1000, 1), p99: round(pct(ms, 99) * 1000, 1) };
  };
  const indexed = time(() => webhook.review(req));
  if (!webhook.review(req).patch) throw new Error('preset not applied in process');
  const scan = time(() => applyPresets(pod, webhook.presets.list(), NS)); // the cost of not indexing
  await webhook.stop();
  return { othersInOtherNamespaces: others, reviewP50us: indexed.p50, reviewP99us: indexed.p99, fullScanP50us: scan.p50, fullScanP99us: scan.p99 };
}

const inProc = [];
for (const n of OTHERS) inProc.push(await inProcess(n));
console.log(`\nIn process: PodPresetWebhook.review() per decision, µs (${decisions} decisions each; fullScan = merge over the whole cache, for comparison)`);
console.table(inProc);

if (process.argv.includes('--in-process-only')) {
  process.stdout.write(`${JSON.stringify({ inProcess: inProc })}\n`);
  process.exit(0);
}

async function burst(client: KubeClient, ns: string, prefix: string) {
  const r = await podCreationBurst(client, ns, pods, rate, { prefix });
  return { p50: round(pct(r.latenciesMs, 50)), p99: round(pct(r.latenciesMs, 99)), achievedPerSecond: round(r.achievedPerSecond), errors: r.errors };
}

const state = await up({ instance: 'benchpp', members: 1, nodesPerMember: 0, realNode: 'off', quiet: true });
const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
const member = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.name === 'member-1')!.kubeconfig);
try {
  const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-1'));
  const ctx: MemberContext = {
    cluster: 'member-1', annotations: kfc.metadata.annotations ?? {}, client: member, log: createLogger('warn'),
    signal: new AbortController().signal, options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 }, now: () => new Date(), event: () => undefined,
  };
  const mkns = (name: string) => member.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch(() => undefined);
  await mkns('bench-a');
  await burst(member, 'bench-a', 'warm'); // warm-up
  await member.delete('/api/v1/namespaces/bench-a');
  await mkns('bench-without');
  const without = await burst(member, 'bench-without', 'p');

  const r = new PodPresetReconfigurator();
  await probeThenReconfigure(r, ctx, { name: 'podpreset' });
  const verified = await r.verify(ctx, { name: 'podpreset' }, 60_000);
  if (verified.state !== 'Supported') throw new Error(`webhook not working: ${verified.message}`);
  await mkns(NS);
  await member.post(`/apis/settings.k8s.io/v1alpha1/namespaces/${NS}/podpresets`, { apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'db' }, spec: PRESET_SPEC });

  const port = new URL(kfc.metadata.annotations!['fedfeat.io/podpreset-webhook-url']!).port;
  const metric = async (name: string) => {
    const text = await new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/metrics', rejectUnauthorized: false }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    return Number(new RegExp(`^${name}(?:\\{\\})? (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  };
  const webhook = state.processes.find((p) => p.name === 'member-1/podpreset-webhook')!;
  /** Creates the other namespaces' presets up to `n`, 16 requests at a time. */
  let created = 0;
  const createOthers = async (n: number) => {
    const todo = otherPresets(n, created);
    const nss = [...new Set(todo.map((p) => p.metadata.namespace!))];
    for (let i = 0; i < nss.length; i += 16) await Promise.all(nss.slice(i, i + 16).map(mkns));
    for (let i = 0; i < todo.length; i += 16) {
      await Promise.all(todo.slice(i, i + 16).map((p) => member.post(`/apis/settings.k8s.io/v1alpha1/namespaces/${p.metadata.namespace}/podpresets`, {
        apiVersion: p.apiVersion, kind: p.kind, metadata: { name: p.metadata.name }, spec: p.spec,
      })));
    }
    created = n;
  };
  const rows: Array<Record<string, unknown>> = [{ run: 'without webhook', ...without }];
  for (const n of OTHERS) {
    const t = performance.now();
    await createOthers(n);
    const setupS = round((performance.now() - t) / 1000);
    await sleep(3000); // the webhook's informer sees the presets
    const [dsum0, dcount0, cpu0] = [await metric('podpreset_webhook_decide_seconds_sum'), await metric('podpreset_webhook_decide_seconds_count'), cpuSeconds(webhook.pid)];
    const t0 = performance.now();
    const res = await burst(member, NS, `o${n}`);
    const wall = (performance.now() - t0) / 1000;
    const [dsum, dcount, cpu] = [await metric('podpreset_webhook_decide_seconds_sum'), await metric('podpreset_webhook_decide_seconds_count'), cpuSeconds(webhook.pid)];
    const check = await member.get<Pod>(`/api/v1/namespaces/${NS}/pods/o${n}-0`);
    if (!check.metadata.annotations?.['podpreset.admission.kubernetes.io/podpreset-db']) throw new Error('preset was not applied during the run');
    if (check.spec.containers[0]!.env?.some((e) => e.name.startsWith('OTHER_'))) throw new Error('a preset of another namespace was applied');
    rows.push({
      run: `webhook, 1 preset + ${n} in other namespaces`, ...res,
      decideMeanUs: round(((dsum - dsum0) / (dcount - dcount0)) * 1e6), webhookCpuPercentOfOneCore: round(((cpu - cpu0) / wall) * 100),
      webhookRssMiB: rssMiB(webhook.pid), presetSetupS: setupS,
    });
  }
  console.log(`\nEnd to end on a real member API server: pod creation latency, ms (${pods} pods at ${rate}/s per run)`);
  console.table(rows);
  process.stdout.write(`${JSON.stringify({ inProcess: inProc, endToEnd: rows })}\n`);
} finally {
  member.close();
  host.close();
  await down('benchpp', { purge: true, quiet: true });
}
