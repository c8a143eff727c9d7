// The failure the paper describes for a default Calico install (Section 5.3,
// Figure 5), shown on the local federation's member-1 with real nodes:
// Calico's official release manifest, UNMODIFIED but for where its images come
// from (the ones built from source and imported on the nodes) and fedfeat's
// label (so revert finds its objects) — BIRD backend, IP-in-IP pool, Calico
// IPAM on 192.168.0.0/16, upgrade-ipam — then the PodPreset webhook as pods:
// they get Calico IPAM addresses that nothing outside the nodes routes, so the
// member's API server (a process on the host, like a managed control plane
// outside the nodes' network) cannot call them and admissions go without the
// webhook. Then everything is reverted and new pods get the nodes' network
// again. Slow (minutes) and it rewrites node state (upgrade-ipam empties
// host-local's records; Calico annotates the Nodes), so it lives here, not in
// the test suite; the host-local records and the Node annotations are saved
// first and put back.
//
//   node dist/evaluation/calico-overlay-failure.js --name <federation> [--out FILE.json]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../controller/logger.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { sleep, waitFor } from '../kube-client/wait.js';
import { FEDFEAT_IMAGE, PAUSE_IMAGE } from '../local-federation/images/build-images.js';
import { instanceDir, readState, type RealNodeState } from '../local-federation/state.js';
import { imageFrom, MANAGED_BY, parseManifest } from '../reconfigurators/calico/manifest.js';
import { CalicoReconfigurator } from '../reconfigurators/calico/reconfigurator.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator } from '../reconfigurators/podpreset/reconfigurator.js';
import { NAMESPACE as PP_NAMESPACE, WEBHOOK_NAME } from '../reconfigurators/podpreset/render.js';
import { probeThenReconfigure } from '../reconfigurators/run.js';
import type { MemberContext } from '../reconfigurators/types.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const instance = arg('name') ?? 'dev';
const out = arg('out');
const FIELD_MANAGER = 'fedfeat-eval';
const NS = 'calico-overlay-eval';

type Pod = KubeObject & {
  metadata: { annotations?: Record<string, string> };
  spec: { nodeName: string };
  status: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string; message?: string }>; initContainerStatuses?: Array<{ name: string; state?: { terminated?: { exitCode: number } } }> };
};
type Node = KubeObject & { spec: { podCIDR?: string } };
const ready = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const t0 = performance.now();
const at = () => +((performance.now() - t0) / 1000).toFixed(1);
const log = (msg: string) => process.stderr.write(`[${at().toFixed(1).padStart(6)}s] ${msg}\n`);
const until = <T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number) => waitFor(what, fn, { timeoutMs, intervalMs: 1000 });

/** IPv4 a.b.c.d inside CIDR? */
function inCidr(ip: string, cidr: string): boolean {
  const n = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base!) / size);
}

const state = readState(instanceDir(instance));
if (!state || state.phase !== 'running') throw new Error(`federation "${instance}" is not running`);
const nodes = (state.realNodes ?? []).filter((n) => n.member === 'member-1');
if (!nodes.length) throw new Error(`federation "${instance}" has no real nodes (${state.realNodeSkipped ?? 'no reason recorded'})`);
if (!state.calico) throw new Error(`federation "${instance}" has no Calico built from source (FEDFEAT_CALICO=off?)`);
const calico = state.calico;
const m1 = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.name === 'member-1')!.kubeconfig);
const ctx: MemberContext = {
  cluster: 'member-1', annotations: {}, client: m1, log: createLogger('warn'), signal: new AbortController().signal,
  options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 }, now: () => new Date(), event: (type, reason, message) => log(`event ${type} ${reason}: ${message}`),
};
const tactic = new CalicoReconfigurator();
const revertFeature = { name: 'networkpolicy' as const, calico: { manifestURL: `file://${calico.manifest}`, imageRegistry: calico.imageRegistry, version: calico.version } };
const presets = new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, image: FEDFEAT_IMAGE, probeImage: PAUSE_IMAGE });
const result: Record<string, unknown> = { federation: instance, member: 'member-1', realNodes: nodes.map((n) => n.nodeName), calicoVersion: calico.version };

// IP-in-IP needs the kernel's ipip driver: this machine's kernel is built without it (and without modules).
const kernelConfig = existsSync('/proc/config.gz') ? execFileSync('sh', ['-c', 'zcat /proc/config.gz | grep -E "CONFIG_NET_IPIP[ =]|CONFIG_VXLAN=|CONFIG_MODULES[ =]" || true'], { encoding: 'utf8' }).trim().split('\n') : [];
result.kernel = { release: os.release(), config: kernelConfig };

// 0. A member with no CNI that enforces policy, as the paper's GKE cluster.
if ((await tactic.probe(ctx)).reason !== 'NoPolicyCapableCNI') throw new Error('member-1 already runs a policy-capable CNI; revert it first');

// Saved first: upgrade-ipam moves host-local's records into Calico IPAM and deletes them; Calico annotates Nodes.
const hostLocal = (n: RealNodeState) => path.join(n.dir, 'var-lib-cni', 'networks', 'k8s-pod-network');
const backup = mkdtempSync(path.join(os.tmpdir(), 'calico-overlay-eval-'));
for (const n of nodes) if (existsSync(hostLocal(n))) cpSync(hostLocal(n), path.join(backup, n.nodeName), { recursive: true });
// The local nodes' bridge network is named k8s-pod-network, as Calico's is: its host-local folder makes upgrade-ipam
// migrate the node's "IPIP tunnel address" (its podCIDR's first address) into Calico IPAM while no pool exists yet
// (calico-node creates it, after its init containers), so upgrade-ipam retries forever and calico-node never starts ("failed to get
// add IPIP tunnel addr …: The provided IP address is not in a configured pool", seen here). A kubenet node (GKE) keeps
// host-local's records under its own network name, so the folder goes aside for the run (saved above, put back).
const annotationsBefore = new Map<string, Record<string, string>>();
for (const n of nodes) annotationsBefore.set(n.nodeName, (await m1.get<Node>(`/api/v1/nodes/${n.nodeName}`)).metadata.annotations ?? {});

let failure: unknown;
let blackhole: string | undefined;
try {
  for (const n of nodes) rmSync(hostLocal(n), { recursive: true, force: true }); // see above
  // 1. The official manifest as released: only its images' registry (no registry here: the images built from source) and
  //    fedfeat's label (metadata, so revert removes exactly these objects).
  const objects = parseManifest(readFileSync(calico.manifest, 'utf8'));
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'calico-config') as KubeObject & { data: Record<string, string> };
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'calico-node') as KubeObject & { spec: { template: { spec: { containers: Array<{ name: string; env?: Array<{ name: string; value?: string }> }>; initContainers?: Array<{ name: string }> } } } };
  const env = Object.fromEntries((ds.spec.template.spec.containers.find((c) => c.name === 'calico-node')!.env ?? []).map((e) => [e.name, e.value]));
  result.manifestAsReleased = {
    calico_backend: cm.data.calico_backend, cniIpam: (JSON.parse(cm.data.cni_network_config!.replace(/__[A-Z_]+__/g, '0')) as { plugins: Array<{ type: string; ipam?: { type: string } }> }).plugins.find((p) => p.type === 'calico')!.ipam!.type,
    CALICO_IPV4POOL_IPIP: env.CALICO_IPV4POOL_IPIP, CALICO_IPV4POOL_CIDR: env.CALICO_IPV4POOL_CIDR ?? '(unset: Calico defaults to 192.168.0.0/16)',
    initContainers: ds.spec.template.spec.initContainers?.map((c) => c.name),
  };
  for (const o of objects) {
    o.metadata.labels = { ...(o.metadata.labels ?? {}), ...MANAGED_BY };
    const spec = (o as { spec?: { template?: { spec?: { containers: Array<{ image?: string }>; initContainers?: Array<{ image?: string }> } } } }).spec?.template?.spec;
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) if (c.image) c.image = imageFrom(c.image, calico.imageRegistry);
  }
  const rank = (k: string) => (k === 'CustomResourceDefinition' ? 0 : 1);
  const started = performance.now();
  for (const o of [...objects].sort((a, b) => rank(a.kind) - rank(b.kind))) await m1.applyObject(o, FIELD_MANAGER);
  log(`applied ${objects.length} objects of the unmodified ${calico.version} manifest`);

  // 2. calico-node has installed Calico's CNI plugin (calico-ipam) on every node and created its default pool.
  await until('calico-node installed its CNI configuration on every node', async () => nodes.every((n) => existsSync(path.join(n.dir, 'cni', 'net.d', '10-calico.conflist'))), 180_000);
  const pool = await until('Calico\'s default IP pool', async () => (await m1.list<KubeObject & { spec: { cidr: string; ipipMode?: string; natOutgoing?: boolean } }>(
    '/apis/crd.projectcalico.org/v1/ippools')).items[0], 180_000);
  result.ipPool = { name: pool.metadata.name, ...pool.spec };
  result.cniInstalledSeconds = +((performance.now() - started) / 1000).toFixed(1);
  log(`Calico CNI on every node; pool ${pool.spec.cidr} ipipMode ${pool.spec.ipipMode}`);

  // The host routes each node's podCIDR to its node, as a VPC does, and nothing else of the cluster CIDR: without a
  // route those packets would go to this machine's default gateway (outside it: in a first run a TLS-intercepting
  // proxy there answered the API server). For the run the pool is unreachable from the host, as in a VPC without routes to it.
  if (!execFileSync('ip', ['route', 'show', pool.spec.cidr], { encoding: 'utf8' }).trim()) {
    execFileSync('ip', ['route', 'add', 'unreachable', pool.spec.cidr]);
    blackhole = pool.spec.cidr;
  }

  // 3. The webhook as pods (Service mode, as users get it): on Calico IPAM addresses.
  await m1.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await probeThenReconfigure(presets, ctx, { name: 'podpreset' });
  await m1.post(`/apis/settings.k8s.io/v1alpha1/namespaces/${NS}/podpresets`, {
    apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'db' },
    spec: { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'DB_PORT', value: '6379' }] },
  });
  const webhookPods = await until('webhook pods Ready (their node reaches them: the kubelet\'s readiness probe)', async () => {
    const ps = (await m1.list<Pod>(`/api/v1/namespaces/${PP_NAMESPACE}/pods`, { query: { labelSelector: `app.kubernetes.io/name=${WEBHOOK_NAME}` } })).items.filter(ready);
    return ps.length ? ps : undefined;
  }, 180_000);
  const podCidrs = (await Promise.all(nodes.map((n) => m1.get<Node>(`/api/v1/nodes/${n.nodeName}`)))).map((n) => n.spec.podCIDR!);
  result.webhookPods = webhookPods.map((p) => ({
    name: p.metadata.name, node: p.spec.nodeName, podIP: p.status.podIP, calicoIPAM: p.metadata.annotations?.['cni.projectcalico.org/podIP'],
    inPool: inCidr(p.status.podIP!, pool.spec.cidr), inANodePodCIDR: podCidrs.some((c) => inCidr(p.status.podIP!, c)),
    // Where the host (the API server's network) sends packets for it.
    // Not one of the host's podCIDR routes: only the default route and, for this run, the unreachable route match it.
    hostRoutes: execFileSync('ip', ['route', 'show', 'match', p.status.podIP!], { encoding: 'utf8' }).trim().split('\n'),
  }));
  log(`webhook pods Ready on ${JSON.stringify(result.webhookPods)}`);

  // 4. The member's API server calls the webhook and cannot reach it: pods are admitted without their preset.
  const apiLog = path.join(state.dir, 'logs', 'member-1_kube-apiserver.log');
  const logStart = readFileSync(apiLog, 'utf8').length;
  const tries: Array<{ presetApplied: boolean; seconds: number }> = [];
  for (let i = 0; i < 3; i++) {
    const s = performance.now();
    const p = await m1.post<Pod & { spec: { containers: Array<{ env?: Array<{ name: string }> }> } }>(`/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'fe-', labels: { role: 'frontend' } },
      spec: { containers: [{ name: 'app', image: PAUSE_IMAGE }], nodeName: 'nowhere' },
    }, { query: { dryRun: 'All' }, timeoutMs: 30_000 });
    tries.push({ presetApplied: (p.spec.containers[0]!.env ?? []).some((e) => e.name === 'DB_PORT'), seconds: +((performance.now() - s) / 1000).toFixed(1) });
  }
  result.admissions = tries;
  await sleep(1000);
  const apiLines = readFileSync(apiLog, 'utf8').slice(logStart).split('\n').filter((l) => /podpreset\.settings\.fedfeat\.io/.test(l) && /fail/i.test(l));
  result.apiServerLog = apiLines.slice(0, 2).map((l) => l.slice(0, 400));
  const verified = await presets.verify(ctx, { name: 'podpreset' }, 20_000);
  result.fedfeatProbe = { state: verified.state, reason: verified.reason, message: verified.message };
  log(`admissions: ${JSON.stringify(tries)}; fedfeat's probe: ${verified.state} ${verified.reason}: ${verified.message}`);
  log(`API server: ${apiLines[0] ?? '(no line)'}`);

  // What calico-node says about its BIRD backend and the IP-in-IP tunnel on this kernel.
  const cnPods = (await m1.list<Pod>('/api/v1/namespaces/kube-system/pods', { query: { labelSelector: 'k8s-app=calico-node' } })).items;
  const unhealthy = (await m1.list<KubeObject & { reason: string; message: string; involvedObject: { name: string } }>('/api/v1/namespaces/kube-system/events', { query: { fieldSelector: 'reason=Unhealthy' } })).items
    .filter((e) => e.involvedObject.name.startsWith('calico-node-')).map((e) => e.message.slice(0, 300));
  result.calicoNodeProbes = [...new Set(unhealthy)].slice(0, 4);
  result.calicoNode = cnPods.filter((p) => nodes.some((n) => n.nodeName === p.spec.nodeName)).map((p) => ({ node: p.spec.nodeName, ready: ready(p), readyMessage: p.status.conditions?.find((c) => c.type === 'Ready')?.message }));
  const kubectl = path.join(state.binDir, 'kubectl');
  const cnLog = execFileSync(kubectl, ['--kubeconfig', state.clusters.find((c) => c.name === 'member-1')!.kubeconfig, '-n', 'kube-system', 'logs', cnPods.find((p) => p.spec.nodeName === nodes[0]!.nodeName)!.metadata.name, '-c', 'calico-node', '--tail', '3000'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  result.calicoNodeLog = [...new Set(cnLog.split('\n').filter((l) => /tunl0|IPIP tunnel|bird6?: not found/.test(l)).map((l) => l.replace(/^\S+ \S+ /, '').slice(0, 240)))].slice(0, 6);
} catch (e) {
  failure = e;
  log(`failed: ${(e as Error).message}`);
} finally {
  if (blackhole) execFileSync('ip', ['route', 'del', 'unreachable', blackhole]);
  // 5. Revert: the webhook's pods first (Calico's CNI plugin needs Calico's objects to tear them down), then Calico.
  const r0 = performance.now();
  await presets.revert(ctx).catch((e: Error) => log(`podpreset revert: ${e.message}`));
  await m1.delete(`/api/v1/namespaces/${NS}`).catch(() => undefined);
  await until('webhook pods gone', async () => (await m1.list(`/api/v1/namespaces/${PP_NAMESPACE}/pods`)).items.length === 0, 120_000).catch(() => undefined);
  const reverted = await tactic.revert(ctx, revertFeature);
  log(`revert: ${reverted.message}`);
  for (const n of nodes) {
    const before = annotationsBefore.get(n.nodeName)!;
    const now = (await m1.get<Node>(`/api/v1/nodes/${n.nodeName}`)).metadata.annotations ?? {};
    const added = Object.keys(now).filter((k) => k.includes('projectcalico.org/') && !(k in before));
    // JSON merge patch: null removes the key.
    if (added.length) await m1.mergePatch(`/api/v1/nodes/${n.nodeName}`, { metadata: { annotations: Object.fromEntries(added.map((k) => [k, null])) } });
    if (existsSync(path.join(backup, n.nodeName))) {
      cpSync(path.join(backup, n.nodeName), hostLocal(n), { recursive: true, force: false, errorOnExist: false });
    }
  }
  result.revertSeconds = +((performance.now() - r0) / 1000).toFixed(1);
}

// 6. After: new pods on every node get the nodes' bridge network and the host reaches them.
await m1.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch(() => undefined);
await until(`namespace ${NS} usable`, async () => (await m1.getOptional<KubeObject & { status?: { phase?: string } }>(`/api/v1/namespaces/${NS}`))?.status?.phase === 'Active', 120_000);
const after: Array<{ node: string; podIP?: string; calico: boolean; hostReaches: boolean }> = [];
for (const n of nodes) {
  await m1.post(`/api/v1/namespaces/${NS}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `after-${n.ordinal}` },
    spec: {
      nodeName: n.nodeName, terminationGracePeriodSeconds: 0,
      containers: [{ name: 'web', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', 'mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www'],
        readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 } }],
    },
  });
}
for (const n of nodes) {
  const p = await until(`after-${n.ordinal} Ready`, async () => {
    const x = await m1.get<Pod>(`/api/v1/namespaces/${NS}/pods/after-${n.ordinal}`);
    return ready(x) ? x : undefined;
  }, 120_000);
  const body = await fetch(`http://${p.status.podIP}:8080/index.html`).then((r) => r.text()).catch(() => '');
  after.push({ node: n.nodeName, podIP: p.status.podIP, calico: p.metadata.annotations?.['cni.projectcalico.org/podIP'] !== undefined, hostReaches: body.trim() === 'ok' });
}
result.afterRevert = after;
await m1.delete(`/api/v1/namespaces/${NS}`);
await until(`namespace ${NS} gone`, async () => (await m1.getOptional(`/api/v1/namespaces/${NS}`)) === undefined, 120_000).catch(() => undefined);
m1.close();
result.seconds = at();
if (failure) result.error = (failure as Error).message;

const shown = Array.isArray(result.webhookPods) && (result.webhookPods as Array<{ inANodePodCIDR: boolean }>).every((p) => !p.inANodePodCIDR)
  && Array.isArray(result.admissions) && (result.admissions as Array<{ presetApplied: boolean }>).every((a) => !a.presetApplied);
const recovered = after.every((a) => !a.calico && a.hostReaches);
result.failureShown = shown;
result.recovered = recovered;
const json = JSON.stringify(result, null, 2);
if (out) writeFileSync(out, `${json}\n`);
process.stdout.write(`${json}\n`);
if (readdirSync(backup).length === 0) log('no host-local records to restore');
process.exit(shown && recovered && !failure ? 0 : 1);
