// Cost of one member in the controller: memory and idle requests of the
// health checker (MemberRegistry) and the drift watches (MemberWatch), for N
// members registered against a fake HTTPS API server that plays host and every
// member (a separate process, so its memory is not counted). The controller
// side runs fedfeat's own registry and watch code; the fake server answers
// /healthz, KubeFedCluster/Secret lists, status patches, and lists + open
// watches of Nodes, DaemonSets and CRDs. Prints figures; asserts nothing.
//
//   node --expose-gc dist/benchmarks/member-scale.js [--members 0,500,1000] [--kinds CustomResourceDefinition] [--idle-seconds 30]
//     [--watch-limit 300] [--period-seconds 10]
import { fork, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../api/kubefed.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { sleep } from '../kube-client/wait.js';
import { createCA, issueCert } from '../pki/x509.js';
import { Informer } from '../controller/informer.js';
import { createLogger } from '../controller/logger.js';
import { MemberRegistry } from '../controller/member-registry.js';
import { MemberWatch, planDriftWatches, type WatchKind } from '../controller/member-watch.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};

// ---- the fake API server (child process) ----
async function serve(members: number): Promise<void> {
  const ca = await createCA('fake-ca');
  const cert = await issueCert(ca, { commonName: 'fake-apiserver', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const counts: Record<string, number> = {};
  const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
  const list = (kind: string, items: unknown[]) => JSON.stringify({ apiVersion: 'v1', kind: `${kind}List`, metadata: { resourceVersion: '100' }, items });
  const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: Record<string, unknown> = {}) => ({
    apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion: '100', uid: name, managedFields: [{ manager: 'kube-controller-manager', time: '2026-01-01T00:00:00Z' }] }, ...extra,
  });
  // A small cluster: 3 nodes, 4 DaemonSets, 20 CRDs of ~2 KB each (real CRDs are often 10–500 KB: the watch cache grows with them).
  const nodes = list('Node', [1, 2, 3].map((i) => obj('v1', 'Node', `node-${i}`, undefined, { status: { capacity: { cpu: '4', memory: '16Gi' }, nodeInfo: { kubeletVersion: 'v1.30.0' } } })));
  const daemonsets = list('DaemonSet', ['kube-proxy', 'calico-node', 'csi', 'logging'].map((n) => obj('apps/v1', 'DaemonSet', n, 'kube-system', { spec: { template: { spec: { containers: [{ name: n, image: `registry/${n}:1` }] } } } })));
  const crds = list('CustomResourceDefinition', Array.from({ length: 20 }, (_, i) => obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', `things${i}.example.com`, undefined, { spec: { group: 'example.com', schema: 'x'.repeat(2000) } })));
  const kfcs = list('KubeFedCluster', Array.from({ length: members }, (_, i) => ({
    apiVersion: KUBEFED_API_VERSION, kind: 'KubeFedCluster',
    metadata: { name: `m-${i}`, namespace: KUBEFED_NAMESPACE, resourceVersion: '100' },
    spec: { apiEndpoint: 'https://127.0.0.1:PORT', caBundle: Buffer.from(ca.cert).toString('base64'), secretRef: { name: 'token' } },
  })));
  const secrets = list('Secret', [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: KUBEFED_NAMESPACE, resourceVersion: '100' }, data: { token: Buffer.from('t').toString('base64') } }]);
  const server = https.createServer({ cert: cert.cert, key: cert.key, keepAliveTimeout: 120_000 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const p = url.pathname;
    const watch = url.searchParams.get('watch') === 'true';
    if (watch) {
      count(`watch ${p.split('/').pop()}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      return; // held open until the client ends it
    }
    const send = (body: string) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    };
    if (p === '/healthz') return count('healthz'), res.end('ok');
    if (req.method === 'PATCH') return count('status write'), send('{}');
    if (p.endsWith('/kubefedclusters')) return count('list kubefedclusters'), send(kfcs.replaceAll('PORT', String((server.address() as AddressInfo).port)));
    if (p.endsWith('/secrets')) return count('list secrets'), send(secrets);
    if (p === '/api/v1/nodes') return count('list nodes'), send(nodes);
    if (p === '/apis/apps/v1/daemonsets') return count('list daemonsets'), send(daemonsets);
    if (p.endsWith('/customresourcedefinitions')) return count('list crds'), send(crds);
    count(`other ${p}`);
    res.writeHead(404).end('{}');
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port, ca: ca.cert }));
  process.on('message', (m: { reset?: boolean; report?: boolean }) => {
    if (m.reset) {
      for (const k of Object.keys(counts)) delete counts[k];
      process.send!({ reset: true });
    }
    if (m.report) server.getConnections((_e, connections) => process.send!({ counts: { ...counts }, connections }));
  });
}

// ---- the controller side ----
function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

function memMiB(): { rss: number; heap: number; external: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20, external: (m.external + m.arrayBuffers) / 2 ** 20 };
}

async function measure(n: number, kinds: WatchKind[], idleSeconds: number, periodMs: number, watchLimit: number) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port, ca } = await new Promise<{ port: number; ca: string }>((r) => child.once('message', (m) => r(m as { port: number; ca: string })));
  const log = createLogger(process.env.FEDFEAT_LOG_LEVEL ?? 'warn');
  const step = (what: string) => console.error(JSON.stringify({ members: n, step: what, at: new Date().toISOString() }));
  step('fake API server up');
  const before = memMiB();
  const host = KubeClient.fromToken(`https://127.0.0.1:${port}`, ca, 'host');
  const clusters = new Informer<KubeFedCluster>(host, resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE), log);
  const secrets = new Informer<KubeObject & { data?: Record<string, string> }>(host, resourcePath('v1', 'secrets', KUBEFED_NAMESPACE), log);
  const registry = new MemberRegistry(host, clusters, secrets, log, { periodMs, timeoutMs: 3000, failureThreshold: 3, successThreshold: 1 });
  clusters.start();
  secrets.start();
  await Promise.all([clusters.waitForSync(), secrets.waitForSync()]);
  step('host caches synced');
  registry.start();
  await sleep(periodMs + 2000); // every member probed and Ready
  // The controller's plan: the kinds asked of every member, at most watchLimit members.
  const wanted = new Map(registry.list().filter((m) => m.ready).map((m) => [m.name, kinds]));
  const watches = [...planDriftWatches(wanted, [], watchLimit)].map(([name, k]) => {
    const w = new MemberWatch(name, registry.get(name)!.client!, log, ['fedfeat-controller'], () => undefined, k);
    w.start();
    return w;
  });
  await sleep(3000 + watches.length * 10); // initial lists and watches done (each opens its own connection)
  step('watches started; idle window');
  await ask(child, { reset: true });
  const t0 = Date.now();
  await sleep(idleSeconds * 1000);
  const { counts, connections } = await ask<{ counts: Record<string, number>; connections: number }>(child, { report: true });
  const secs = (Date.now() - t0) / 1000;
  const after = memMiB();
  const ready = registry.list().filter((m) => m.ready).length;
  const healthz = counts.healthz ?? 0;
  const writes = counts['status write'] ?? 0;
  const per = (x: number) => (n ? x / n : 0);
  const result = {
    members: n, ready, watchedMembers: watches.length, kinds: kinds.join('+') || 'none', connections,
    rssMiB: +(after.rss - before.rss).toFixed(1), heapMiB: +(after.heap - before.heap).toFixed(1),
    rssKiBPerMember: +per((after.rss - before.rss) * 1024).toFixed(0), heapKiBPerMember: +per((after.heap - before.heap) * 1024).toFixed(0),
    memberReqPerSecPerMember: +per(Object.entries(counts).filter(([k]) => !k.includes('status') && !k.includes('kubefed') && !k.includes('secrets')).reduce((a, [, v]) => a + v, 0) / secs).toFixed(3),
    healthzPerSec: +(healthz / secs).toFixed(1), hostStatusWritesPerSec: +(writes / secs).toFixed(2), probeStats: registry.probeStats, statusStats: registry.statusStats, counts,
  };
  await Promise.all(watches.map((w) => w.stop()));
  registry.stop();
  await Promise.all([clusters.stop(), secrets.stop()]);
  host.close();
  child.kill();
  return result;
}

if (process.argv[2] === '--serve') {
  await serve(Number(process.argv[3]));
} else {
  const kinds = arg('kinds', 'CustomResourceDefinition').split(',').filter(Boolean) as WatchKind[];
  for (const n of arg('members', '0,500').split(',').map(Number)) {
    const r = await measure(n, kinds, Number(arg('idle-seconds', '30')), Number(arg('period-seconds', '10')) * 1000, Number(arg('watch-limit', '300')));
    console.log(JSON.stringify(r));
  }
  process.exit(0);
}
