// PlacementController against in-memory API servers (a host and three
// members that list, watch and apply like kube-apiservers, and a "kubelet"
// the test drives): the decisions it makes when a member goes Offline, a
// required feature is lost, or replicas stay Pending too long, what it writes
// to status, and that deciding never LISTs (only the informers' first lists).
import type { ClusterFeatureStatus, FeatureConfig } from '../../../api/featureconfig.js';
import type { FeaturePlacement } from '../../../api/featureplacement.js';
import { createLogger } from '../../../controller/logger.js';
import type { Member, MemberRegistry } from '../../../controller/member-registry.js';
import { Metrics } from '../../../controller/metrics.js';
import { MemberResults } from '../../../controller/results.js';
import type { Informer } from '../../../controller/informer.js';
import type { KubeClient, KubeList, KubeObject, WatchEvent } from '../../../kube-client/client.js';
import { sleep } from '../../../kube-client/wait.js';
import { PlacementController } from '../../../placement/controller.js';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

interface Parsed { coll: string; ns?: string; name?: string; sub?: string }

/** `/api/v1/namespaces/ns/pods/name/status` → collection `/api/v1/pods`, namespace, name, subresource. */
function parse(path: string): Parsed {
  const parts = path.split('/').filter(Boolean);
  const prefix = parts[0] === 'api' ? parts.slice(0, 2) : parts.slice(0, 3);
  const rest = parts.slice(prefix.length);
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const [resource, name, sub] = namespaced ? rest.slice(2) : rest;
  return { coll: `/${prefix.join('/')}/${resource}`, ...(namespaced ? { ns: rest[1] } : {}), ...(name ? { name } : {}), ...(sub ? { sub } : {}) };
}

const matchesLabels = (o: Obj, selector?: unknown) => String(selector ?? '').split(',').filter(Boolean).every((term) => {
  const [k, v] = term.split('=');
  return v === undefined ? o.metadata.labels?.[k!] !== undefined : o.metadata.labels?.[k!] === v;
});

/** An API server in memory: enough of list, watch, get, apply (SSA as a merge), merge patch, delete with finalizers. */
class FakeApi {
  private rv = 1;
  private uid = 1;
  readonly objects = new Map<string, Obj>();
  private readonly watchers = new Set<{ coll: string; ns?: string; selector?: unknown; fn: (e: WatchEvent) => void }>();
  /** "VERB path" of every request. */
  readonly calls: string[] = [];
  events: Obj[] = [];
  /** How long a LIST takes (a member far away, or large). */
  listDelayMs = 0;

  private key(p: Parsed): string {
    return `${p.coll}|${p.ns ?? ''}|${p.name ?? ''}`;
  }

  private emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', coll: string, o: Obj): void {
    for (const w of this.watchers) {
      if (w.coll === coll && (!w.ns || w.ns === o.metadata.namespace) && matchesLabels(o, w.selector)) w.fn({ type, object: structuredClone(o) } as WatchEvent);
    }
  }

  /** Stores (or replaces) an object as the API server would, bumping resourceVersion and generation. */
  put(path: string, o: Obj): Obj {
    const p = parse(path);
    const k = this.key(p);
    const old = this.objects.get(k);
    const next = structuredClone(o);
    next.metadata = { ...next.metadata, name: p.name ?? next.metadata.name, ...(p.ns ? { namespace: p.ns } : {}), resourceVersion: String(++this.rv) };
    next.metadata.uid = old?.metadata.uid ?? next.metadata.uid ?? `uid-${this.uid++}`;
    next.metadata.creationTimestamp = old?.metadata.creationTimestamp ?? next.metadata.creationTimestamp ?? new Date().toISOString();
    const specChanged = JSON.stringify(old?.spec) !== JSON.stringify(next.spec);
    next.metadata.generation = (old?.metadata.generation ?? 0) + (specChanged || !old ? 1 : 0);
    this.objects.set(k, next);
    this.emit(old ? 'MODIFIED' : 'ADDED', p.coll, next);
    return structuredClone(next);
  }

  remove(path: string): boolean {
    const p = parse(path);
    const o = this.objects.get(this.key(p));
    if (!o) return false;
    if (o.metadata.finalizers?.length) {
      if (!o.metadata.deletionTimestamp) this.put(path, { ...o, metadata: { ...o.metadata, deletionTimestamp: new Date().toISOString() } });
      return true;
    }
    this.objects.delete(this.key(p));
    this.emit('DELETED', p.coll, { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } });
    return true;
  }

  read(path: string): Obj | undefined {
    const o = this.objects.get(this.key(parse(path)));
    return o && structuredClone(o);
  }

  of(coll: string, ns?: string): Obj[] {
    return [...this.objects.entries()].filter(([k, o]) => k.startsWith(`${coll}|`) && (!ns || o.metadata.namespace === ns)).map(([, o]) => structuredClone(o));
  }

  /** The KubeClient surface the placement code uses. */
  client(): KubeClient {
    const api: Partial<Record<keyof KubeClient, unknown>> = {
      list: async (path: string, opts?: { query?: Record<string, unknown> }): Promise<KubeList> => {
        this.calls.push(`LIST ${path}`);
        if (this.listDelayMs) await sleep(this.listDelayMs);
        const p = parse(path);
        return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.rv) }, items: this.of(p.coll, p.ns).filter((o) => matchesLabels(o, opts?.query?.labelSelector)) };
      },
      watch: (path: string, query: Record<string, unknown>, fn: (e: WatchEvent) => void, signal?: AbortSignal) => {
        this.calls.push(`WATCH ${path}`);
        const p = parse(path);
        const w = { coll: p.coll, ...(p.ns ? { ns: p.ns } : {}), selector: query.labelSelector, fn };
        this.watchers.add(w);
        return new Promise<void>((resolve) => signal?.addEventListener('abort', () => {
          this.watchers.delete(w);
          resolve();
        }, { once: true }));
      },
      get: async (path: string) => {
        this.calls.push(`GET ${path}`);
        const o = this.read(path);
        if (!o) throw new Error(`not found: ${path}`);
        return o;
      },
      getOptional: async (path: string) => {
        this.calls.push(`GET ${path}`);
        return this.read(path);
      },
      apply: async (path: string, obj: Obj) => {
        this.calls.push(`APPLY ${path}`);
        const p = parse(path);
        if (p.sub === 'status') {
          const base = path.slice(0, -'/status'.length);
          const o = this.read(base)!;
          return this.put(base, { ...o, status: obj.status! });
        }
        const o = this.read(path);
        // SSA of a whole object by one manager: its fields replace ours; metadata fields it does not send stay.
        return this.put(path, { ...o, ...obj, metadata: { ...o?.metadata, ...obj.metadata, labels: obj.metadata.labels, annotations: obj.metadata.annotations }, ...(o?.status ? { status: o.status } : {}) } as Obj);
      },
      mergePatch: async (path: string, patch: { metadata?: Record<string, unknown> }) => {
        this.calls.push(`PATCH ${path}`);
        const o = this.read(path)!;
        const { resourceVersion: _rv, ...meta } = patch.metadata ?? {};
        const next = this.put(path, { ...o, metadata: { ...o.metadata, ...meta } } as Obj);
        if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) this.remove(path);
        return next;
      },
      delete: async (path: string) => {
        this.calls.push(`DELETE ${path}`);
        return this.remove(path);
      },
      post: async (path: string, body: Obj) => {
        this.calls.push(`POST ${path}`);
        if (path.endsWith('/events')) this.events.push(body);
        return body;
      },
    };
    return api as unknown as KubeClient;
  }
}

const NS = 'apps';
const FP_PATH = `/apis/feature.kubefed.io/v1alpha1/namespaces/${NS}/featureplacements/web`;
const DEP_PATH = `/apis/apps/v1/namespaces/${NS}/deployments/web`;
const MEMBERS = ['m1', 'm2', 'm3'];

const node = (name: string): Obj => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  status: { allocatable: { cpu: '4', memory: '16Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});

/** What a member's controller-manager, scheduler and kubelets do with a Deployment, as the test says. */
function runDeployments(api: FakeApi, opts: { schedule: boolean; createdAt: string }): void {
  for (const dep of api.of('/apis/apps/v1/deployments')) {
    const replicas = (dep.spec?.replicas as number | undefined) ?? 0;
    const template = (dep.spec!.template as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> });
    const mine = api.of('/api/v1/pods', dep.metadata.namespace).filter((p) => p.metadata.labels?.app === template.metadata.labels.app);
    for (const p of mine.slice(replicas)) api.remove(`/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`);
    for (let i = 0; i < replicas; i++) {
      const name = `${dep.metadata.name}-${i}`;
      const path = `/api/v1/namespaces/${dep.metadata.namespace}/pods/${name}`;
      const have = api.read(path);
      if (have && (have.spec?.nodeName || !opts.schedule)) continue;
      api.put(path, {
        apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: dep.metadata.namespace, labels: template.metadata.labels, creationTimestamp: have?.metadata.creationTimestamp ?? opts.createdAt },
        spec: { ...template.spec, ...(opts.schedule ? { nodeName: `n${i % 2}` } : {}) },
        status: opts.schedule
          ? { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] }
          : { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: opts.createdAt }] },
      });
    }
    const ready = api.of('/api/v1/pods', dep.metadata.namespace).filter((p) => p.metadata.labels?.app === template.metadata.labels.app && p.status?.phase === 'Running').length;
    const path = `/apis/apps/v1/namespaces/${dep.metadata.namespace}/deployments/${dep.metadata.name}`;
    if ((dep.status?.readyReplicas ?? -1) !== ready) api.put(path, { ...dep, status: { replicas, readyReplicas: ready } });
  }
}

const until = async <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

describe('PlacementController', () => {
  let host: FakeApi;
  let apis: Record<string, FakeApi>;
  let members: Map<string, Member>;
  let results: MemberResults;
  let metrics: Metrics;
  let clock: number;
  let controller: PlacementController;
  let makeController: () => PlacementController;
  const fc: FeatureConfig = { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: 'np', uid: 'uid-np' }, spec: { networkpolicy: true, mode: 'inform' } };

  const setFeature = (member: string, state: 'Supported' | 'Missing') => {
    const r: ClusterFeatureStatus = { name: member, features: [{ name: 'networkpolicy', state, ...(state === 'Missing' ? { reason: 'NoPolicyCNI' } : {}) }] };
    results.of('np').set(member, r);
  };
  const fp = () => host.read(FP_PATH) as unknown as FeaturePlacement;
  const replicas = () => Object.fromEntries(MEMBERS.flatMap((m) => {
    const d = apis[m]!.read(DEP_PATH);
    return d ? [[m, d.spec!.replicas as number]] : [];
  }));
  const condition = (type: string) => fp().status?.conditions?.find((c) => c.type === type);
  const decisions = async () => Number(/fedfeat_placement_decision_seconds_count (\d+)/.exec(await metrics.render())?.[1] ?? 0);
  const lists = () => [host, ...Object.values(apis)].flatMap((a) => a.calls.filter((c) => c.startsWith('LIST ')));
  const runAll = (schedule = true, only = MEMBERS) => {
    for (const m of only) runDeployments(apis[m]!, { schedule, createdAt: new Date(clock).toISOString() });
  };

  beforeEach(async () => {
    clock = Date.parse('2026-01-01T00:00:00Z');
    host = new FakeApi();
    apis = Object.fromEntries(MEMBERS.map((m) => [m, new FakeApi()]));
    for (const a of Object.values(apis)) for (const n of ['n0', 'n1']) a.put(`/api/v1/nodes/${n}`, node(n));
    members = new Map(MEMBERS.map((name) => [name, {
      name, labels: {}, annotations: {}, client: apis[name]!.client(), ready: true, offline: false,
      consecutiveFailures: 0, consecutiveSuccesses: 3, fingerprint: name,
    }]));
    results = new MemberResults();
    for (const m of MEMBERS) setFeature(m, 'Supported');
    metrics = new Metrics();
    const registry = { get: (n: string) => members.get(n), list: () => [...members.values()] } as unknown as MemberRegistry;
    const featureConfigs = { list: () => [fc], get: (n: string) => (n === 'np' ? fc : undefined) } as unknown as Informer<FeatureConfig>;
    makeController = () => new PlacementController(
      { host: host.client(), members: registry, featureConfigs, results, log: createLogger('error', true), metrics, now: () => new Date(clock) },
      { workers: 1, resyncMs: 60_000, debounceMs: 10 },
    );
    controller = makeController();
    host.put(FP_PATH, {
      apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 6, requiredFeatures: [{ name: 'networkpolicy' }], policy: 'WorstFit', unschedulableSeconds: 30,
        template: { spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1', memory: '1Gi' } } }] } } } },
      },
    });
    await controller.start();
    // Equal members, WorstFit: 2/2/2, all Ready.
    await until('2/2/2 applied', () => JSON.stringify(replicas()) === JSON.stringify({ m1: 2, m2: 2, m3: 2 }));
    runAll();
    await until('Ready', () => condition('Ready')?.status === 'True');
  });

  afterEach(async () => {
    await controller.stop();
  });

  it('feature lost on a member: excludes it with the reason, moves only its replicas, and removes them once replacements are Ready', async () => {
    const m1Pods = apis.m1!.of('/api/v1/pods').map((p) => p.metadata.uid);
    setFeature('m3', 'Missing');
    controller.featuresChanged();
    // Replacements asked for on m1 and m2; m3 keeps its 2 until they are Ready.
    await until('replacements applied, m3 held', () => {
      const r = replicas();
      return r.m1! + r.m2! === 6 && r.m3 === 2 && condition('Ready')?.reason === 'Moving';
    });
    expect(replicas()).toEqual({ m1: 3, m2: 3, m3: 2 });
    expect(fp().status!.excluded).toEqual([{ name: 'm3', reason: 'FeatureMissing', message: 'networkpolicy is Missing (NoPolicyCNI)' }]);
    expect(fp().status!.clusters).toEqual([
      { name: 'm1', assigned: 3, ready: 2, pending: 0 }, { name: 'm2', assigned: 3, ready: 2, pending: 0 }, { name: 'm3', assigned: 0, ready: 2, pending: 0 },
    ]);
    await sleep(100);
    expect(apis.m3!.read(DEP_PATH)).toBeDefined(); // still held: nothing Ready elsewhere yet
    runAll(true, ['m1', 'm2']);
    await until('m3 Deployment removed', () => !apis.m3!.read(DEP_PATH));
    expect(replicas()).toEqual({ m1: 3, m2: 3 });
    // m1's pods were left running (only the new one added).
    expect(apis.m1!.of('/api/v1/pods').map((p) => p.metadata.uid)).toEqual(expect.arrayContaining(m1Pods));
    await until('Ready again', () => condition('Ready')?.status === 'True');
    expect(host.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Placed', 'Removed']));
  });

  it('member Offline: excluded as ClusterNotReady, its replicas placed elsewhere, its Deployment left alone until it is back, then removed', async () => {
    members.get('m3')!.ready = false;
    members.get('m3')!.lastError = 'health probe failed 3 times';
    // Decisions before its cache is dropped (a pod event elsewhere) must not read that cache, stale from now on.
    controller.featuresChanged();
    await until('m3 excluded', () => fp().status?.excluded?.some((e) => e.name === 'm3' && e.reason === 'ClusterNotReady'));
    expect(fp().status!.excluded).toEqual([{ name: 'm3', reason: 'ClusterNotReady', message: 'fedfeat reports the member Offline: health probe failed 3 times' }]);
    await until('m1 and m2 take its replicas', () => replicas().m1 === 3 && replicas().m2 === 3);
    runAll(true, ['m1', 'm2']);
    await until('Ready on m1 and m2', () => condition('Ready')?.status === 'True');
    // m3 unreachable: its Deployment was not touched after the first apply.
    expect(replicas().m3).toBe(2);
    expect(apis.m3!.calls.filter((c) => c.startsWith('DELETE') || c.startsWith('APPLY'))).toEqual([`APPLY ${DEP_PATH}`]);
    controller.membersChanged(); // the registry's notice: its cache goes
    await until('m3 cache dropped', () => !controller.caches.get('m3'));
    expect(apis.m3!.calls.filter((c) => c.startsWith('DELETE') || c.startsWith('APPLY'))).toEqual([`APPLY ${DEP_PATH}`]);
    // Back: its replicas are covered by Ready ones elsewhere; without rebalance they stay there and m3's go.
    members.set('m3', { ...members.get('m3')!, ready: true, client: apis.m3!.client() }); // a rebuilt client
    controller.membersChanged();
    await until('m3 Deployment removed', () => !apis.m3!.read(DEP_PATH));
    expect(replicas()).toEqual({ m1: 3, m2: 3 });
  });

  it('replicas Pending past unschedulableSeconds move to other members; the member takes no new ones meanwhile', async () => {
    // Scale to 9: 3 each, m1's new pod cannot be scheduled.
    host.put(FP_PATH, { ...host.read(FP_PATH)!, spec: { ...host.read(FP_PATH)!.spec, replicas: 9 } });
    await until('3/3/3 applied', () => JSON.stringify(replicas()) === JSON.stringify({ m1: 3, m2: 3, m3: 3 }));
    runAll(true, ['m2', 'm3']);
    runAll(false, ['m1']);
    await until('m1 reports 1 pending', () => fp().status?.clusters?.find((c) => c.name === 'm1')?.pending === 1);
    expect(replicas()).toEqual({ m1: 3, m2: 3, m3: 3 }); // not yet: 30 s have not passed
    clock += 31_000;
    controller.featuresChanged();
    await until('the stuck replica moved', () => replicas().m1 === 2);
    expect(replicas().m2! + replicas().m3!).toBe(7);
    runAll(true, ['m2', 'm3']);
    runAll(false, ['m1']); // its Deployment controller takes the Pending pod away
    await until('Ready', () => condition('Ready')?.status === 'True');
    expect(fp().status!.clusters!.map((c) => [c.name, c.assigned, c.ready])).toEqual([['m1', 2, 2], ['m2', expect.any(Number), expect.any(Number)], ['m3', expect.any(Number), expect.any(Number)]]);
  });

  it('ensureFeatures: a (re)started controller creates no FeatureConfig while member caches are still syncing and every member qualifies', async () => {
    await controller.stop();
    const fpObj = host.read(FP_PATH)!;
    host.put(FP_PATH, { ...fpObj, spec: { ...fpObj.spec, ensureFeatures: true } });
    const before = await decisions();
    for (const a of Object.values(apis)) a.listDelayMs = 300;
    controller = makeController(); // a restart: its first decisions come before the member caches have synced
    await controller.start();
    await until('decided again', async () => (await decisions()) > before);
    await until('Ready', () => condition('Ready')?.status === 'True' && fp().status?.observedGeneration === fp().metadata.generation);
    await sleep(200);
    expect(host.calls.filter((c) => c.includes('/featureconfigs'))).toEqual([]);
    expect(condition('FeaturesEnsured')).toBeUndefined();
    expect(replicas()).toEqual({ m1: 2, m2: 2, m3: 2 });
  });

  it('ensureFeatures: too few qualifying members → the FeatureConfig it owns, enforcing the required features on the selected members', async () => {
    setFeature('m1', 'Missing');
    const fpObj = host.read(FP_PATH)!;
    // Three members wanted, two qualify.
    host.put(FP_PATH, { ...fpObj, spec: { ...fpObj.spec, ensureFeatures: true, numberOfClusters: 3 } });
    await until('FeatureConfig applied', () => host.read('/apis/feature.kubefed.io/v1alpha1/featureconfigs/fp-apps-web'));
    expect(host.read('/apis/feature.kubefed.io/v1alpha1/featureconfigs/fp-apps-web')).toMatchObject({
      metadata: { labels: { 'feature.kubefed.io/owner-placement': 'apps.web', 'app.kubernetes.io/managed-by': 'fedfeat' } },
      spec: { mode: 'enforce', deletionPolicy: 'Retain', networkpolicy: true },
    });
    await until('FeaturesEnsured', () => condition('FeaturesEnsured')?.status === 'True');
    // Meanwhile the two qualifying members take m1's replicas, which stay until those are Ready.
    expect(replicas()).toEqual({ m1: 2, m2: 3, m3: 3 });
    expect(fp().status!.excluded).toEqual([expect.objectContaining({ name: 'm1', reason: 'FeatureMissing' })]);
  });

  it('decides from its caches: no LIST per decision, only each informer\'s first', async () => {
    const before = await decisions();
    setFeature('m3', 'Missing');
    controller.featuresChanged();
    await until('replacements applied', () => replicas().m1 === 3 && replicas().m2 === 3);
    runAll(true, ['m1', 'm2']);
    await until('m3 removed', () => !apis.m3!.read(DEP_PATH));
    for (let i = 0; i < 5; i++) {
      controller.featuresChanged();
      await sleep(30);
    }
    expect(await decisions()).toBeGreaterThanOrEqual(before + 5);
    // One LIST per informer: the host's FeaturePlacements and ClusterCoordinates (Latency policy); nodes, pods and
    // Deployments per member.
    expect(lists().sort()).toEqual([
      'LIST /api/v1/nodes', 'LIST /api/v1/nodes', 'LIST /api/v1/nodes', 'LIST /api/v1/pods', 'LIST /api/v1/pods', 'LIST /api/v1/pods',
      'LIST /apis/apps/v1/deployments', 'LIST /apis/apps/v1/deployments', 'LIST /apis/apps/v1/deployments',
      'LIST /apis/feature.kubefed.io/v1alpha1/featureplacements',
      'LIST /apis/feature.kubefed.io/v1alpha1/namespaces/kube-federation-system/clustercoordinates',
    ]);
    // Nor a GET of member objects: everything read comes from the caches.
    expect(Object.values(apis).flatMap((a) => a.calls.filter((c) => c.startsWith('GET ')))).toEqual([]);
  });
});
