// The placement experiment (issue 15 item 5) on a running local federation
// shaped like mck8s's testbed (5 members × 5 KWOK workers; members 1 and 5
// with 4-CPU/16 GiB nodes, 2-4 with 2-CPU/4 GiB: `dev up --members 5
// --node-size member-1=4/16Gi,member-5=4/16Gi,*=2/4Gi --real-node off`).
// The member schedulers bind pods to KWOK nodes and KWOK marks them Running;
// pods no node fits stay Pending. One member lacks the feature half of the
// applications require (networkpolicy: a policy-capable CNI DaemonSet on the
// others, fedfeat's FeatureConfig in inform mode reports it).
// The stream of applications (evaluation/placement-strategies.ts) is placed
// by (a) an even split, (b) mck8s's worst fit computed here from what the
// members' API servers list at each decision, as mck8s does, and (c) the real
// fedfeat controller process (FeaturePlacements, least-privilege account);
// pods are sampled on every member throughout. Then, with fedfeat only, how
// long until replicas run elsewhere after a member's API server stops (seen
// through fedfeat's health hysteresis, default 10 s × 3) and after a required
// feature is removed from a member.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { listClusterFeatureStatuses } from '../api/cluster-feature-status.js';
import { parseQuantity } from '../daemonset-scripts/kubelet-agent/kubelet-rules.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { sleep, waitFor } from '../kube-client/wait.js';
import { startComponent, stopComponent } from '../local-federation/components.js';
import { freePort } from '../local-federation/free-port.js';
import { controllerHttpGet, controllerKubeconfig, installHostManifests, spawnController } from '../local-federation/host-install.js';
import { PLACEMENT_NAMESPACE } from '../local-federation/registration.js';
import { repoRoot } from '../local-federation/repo-root.js';
import type { FederationState } from '../local-federation/state.js';
import {
  countSample, evenSplit, mck8sCapacity, mck8sWorstFit, totalReplicas, type App, type Mck8sNode, type PodSample, type Sample,
} from './placement-strategies.js';

export type Strategy = 'even' | 'mck8s-worstfit' | 'fedfeat-worstfit' | 'fedfeat-bestfit';
export const STRATEGY_LABELS: Record<Strategy, string> = {
  even: '(a) even split over all members (KubeFed, no preferences)',
  'mck8s-worstfit': "(b) mck8s's worst fit, as written",
  'fedfeat-worstfit': '(c) fedfeat WorstFit (controller)',
  'fedfeat-bestfit': '(c) fedfeat BestFit (controller)',
};

const EVAL_NS = 'fedfeat-eval-placement';
const FC_NAME = 'eval-placement-features';
const FC_PATH = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, FC_NAME);
const EVAL_LABEL = 'fedfeat.io/eval';
const MANAGER = 'fedfeat-eval';
const CNI = '/apis/apps/v1/namespaces/kube-system/daemonsets/cilium';
const FP_PATH = (name?: string) => resourcePath('feature.kubefed.io/v1alpha1', 'featureplacements', PLACEMENT_NAMESPACE, name);
const DEP_PATH = (ns: string, name?: string) => `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;
/** mck8s's image; KWOK never pulls it. */
const IMAGE = 'gcr.io/google-samples/hello-go-gke:1.0';

export interface StrategyRun {
  strategy: Strategy;
  label: string;
  samples: Sample[];
  final: Sample;
  /** mck8s: decisions deferred because replicas were left over (it retries after 30 s). */
  deferrals?: number;
  /** Where each application went (last decision or last sample). */
  placements: Record<string, Record<string, number>>;
}

export interface FailoverRun {
  kind: 'member-down' | 'feature-removed';
  member: string;
  replicas: number;
  /** Seconds from the change to every affected replica Running on other members (null: not within the window). */
  runningElsewhereSeconds: number | null;
  /** Seconds from the change to no affected pod left on the member (feature removed; member back for member-down). */
  goneSeconds: number | null;
  note: string;
}

export interface DecisionTimes {
  /** From benchmarks/placement-decision.js: label → p50/p99 ms. */
  benchmark: Array<{ label: string; p50Ms: number; p99Ms: number; cpuP50Ms?: number; cpuP99Ms?: number; load?: number; line: string }>;
  /** The controller's own histogram during this experiment. */
  controller?: { decisions: number; meanMs: number; under10ms: number };
}

export interface PlacementExperimentResult {
  members: Array<{ name: string; nodes: number; cpu: string; memory: string; lacks: string[] }>;
  workload: App[];
  runs: StrategyRun[];
  failover: FailoverRun[];
  decision: DecisionTimes;
}

export interface PlacementExperimentOptions {
  apps: App[];
  strategies: Strategy[];
  /** Member lacking the feature the applications require. */
  lacking: string;
  feature: string;
  settleSeconds: number;
  sampleMs: number;
  failover: boolean;
  note(msg: string): void;
}

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string } };
type NodeObj = KubeObject & { status?: { allocatable?: Record<string, string> } };

function deployment(app: App, ns: string, replicas: number): KubeObject {
  const labels = { app: app.name, [EVAL_LABEL]: 'placement' };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app.name, namespace: ns, labels },
    spec: { replicas, selector: { matchLabels: { app: app.name } }, template: podTemplate(app) },
  } as KubeObject;
}

function podTemplate(app: App): Record<string, unknown> {
  const res = { cpu: `${app.cpuMilli}m`, memory: `${app.memoryMi}Mi` };
  return {
    metadata: { labels: { app: app.name, [EVAL_LABEL]: 'placement' } },
    spec: { containers: [{ name: 'hello', image: IMAGE, resources: { requests: res, limits: res } }], terminationGracePeriodSeconds: 0 },
  };
}

function featurePlacement(app: App, policy: 'WorstFit' | 'BestFit'): KubeObject {
  return {
    apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name: app.name, namespace: PLACEMENT_NAMESPACE, labels: { [EVAL_LABEL]: 'placement' } },
    spec: {
      // mck8s's spec in fedfeat's terms: numberOfLocations 3, replicas 2 each, overflow to the next members.
      replicas: app.replicas, numberOfClusters: app.locations, replicaScheduling: { type: 'Duplicated' }, policy, overflow: 'Next',
      ...(app.requires ? { requiredFeatures: [{ name: app.requires }] } : {}),
      template: { metadata: { labels: { [EVAL_LABEL]: 'placement' } }, spec: { selector: { matchLabels: { app: app.name } }, template: podTemplate(app) } },
    },
  } as KubeObject;
}

const cniDaemonSet = {
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'cilium', namespace: 'kube-system', labels: { [EVAL_LABEL]: 'placement' } },
  spec: {
    selector: { matchLabels: { app: 'eval-placement-cni' } },
    template: { metadata: { labels: { app: 'eval-placement-cni' } }, spec: { containers: [{ name: 'agent', image: 'fedfeat.local/tools:1.0', command: ['sleep', '3600'] }] } },
  },
} as KubeObject;

class Federation {
  private constructor(readonly state: FederationState, readonly host: KubeClient, readonly members: Map<string, KubeClient>) {}

  static async open(state: FederationState): Promise<Federation> {
    const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
    const members = new Map<string, KubeClient>();
    for (const c of state.clusters.filter((x) => x.role === 'member').sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }))) {
      members.set(c.name, await KubeClient.fromKubeConfig(c.kubeconfig));
    }
    return new Federation(state, host, members);
  }

  get names(): string[] {
    return [...this.members.keys()];
  }

  close(): void {
    this.host.close();
    for (const c of this.members.values()) c.close();
  }

  /** The experiment's live pods on every member that answers (a stopped API server answers nothing). */
  async pods(timeoutMs = 3000): Promise<PodSample[]> {
    const out: PodSample[] = [];
    await Promise.all([...this.members].map(async ([member, c]) => {
      try {
        const list = await c.list<Pod>('/api/v1/pods', { query: { labelSelector: `${EVAL_LABEL}=placement` }, timeoutMs });
        for (const p of list.items) if (!p.metadata.deletionTimestamp) out.push({ member, app: p.metadata.labels?.app ?? '', phase: p.status?.phase ?? 'Unknown' });
      } catch {
        // member down: its pods are not counted as running anywhere
      }
    }));
    return out;
  }

  /** mck8s's view of a member: every node's allocatable minus the container requests of its non-terminated pods (two LISTs, as mck8s does per decision). */
  async mck8sNodes(member: string): Promise<Mck8sNode[]> {
    const c = this.members.get(member)!;
    const [nodes, pods] = await Promise.all([c.list<NodeObj>('/api/v1/nodes'), c.list<Pod & { spec?: { containers?: Array<{ resources?: { requests?: Record<string, string> } }> } }>('/api/v1/pods', { query: { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' } })]);
    const used = new Map<string, { cpu: number; mem: number }>();
    for (const p of pods.items) {
      const n = p.spec?.nodeName;
      if (!n) continue;
      const u = used.get(n) ?? { cpu: 0, mem: 0 };
      for (const ct of p.spec?.containers ?? []) {
        u.cpu += milli(ct.resources?.requests?.cpu);
        u.mem += mebi(ct.resources?.requests?.memory);
      }
      used.set(n, u);
    }
    return nodes.items.map((n) => ({
      freeCpuMilli: milli(n.status?.allocatable?.cpu) - (used.get(n.metadata.name)?.cpu ?? 0),
      freeMemoryMi: mebi(n.status?.allocatable?.memory) - (used.get(n.metadata.name)?.mem ?? 0),
    }));
  }
}

// mck8s reads quantities with pint (Q_): CPU in millicores, memory in MiB.
const milli = (q: string | undefined) => (parseQuantity(q) ?? 0) * 1000;
const mebi = (q: string | undefined) => (parseQuantity(q) ?? 0) / 2 ** 20;

export async function placementExperiment(state: FederationState, o: PlacementExperimentOptions): Promise<PlacementExperimentResult> {
  const fed = await Federation.open(state);
  const withFeature = fed.names.filter((m) => m !== o.lacking);
  const lacking = { [o.feature]: [o.lacking] };
  let controller: { stop(): Promise<void>; port: number } | undefined;
  try {
    o.note(`setup: ${o.feature} on ${withFeature.join(', ')}, not on ${o.lacking}; FeatureConfig ${FC_NAME} (inform)`);
    installHostManifests(state);
    for (const m of withFeature) await fed.members.get(m)!.apply(CNI, cniDaemonSet, MANAGER);
    for (const [, c] of fed.members) await c.apply(`/api/v1/namespaces/${EVAL_NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: EVAL_NS } } as KubeObject, MANAGER);
    if (!(await fed.host.getOptional(`/api/v1/namespaces/${PLACEMENT_NAMESPACE}`))) {
      await fed.host.apply(`/api/v1/namespaces/${PLACEMENT_NAMESPACE}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PLACEMENT_NAMESPACE } } as KubeObject, MANAGER);
    }
    const port = await freePort();
    const logFile = path.join(state.dir, 'logs', 'eval-placement-controller.log');
    // Production defaults (health every 10 s, 3 failures → Offline); only the identity and port are the experiment's.
    const child = spawnController(await controllerKubeconfig(state, fed.host, 7200), port, 'eval-placement', logFile);
    controller = {
      port,
      stop: () => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
    };
    await waitFor('controller /healthz', async () => (await controllerHttpGet(port, '/healthz')).code === 200, { timeoutMs: 60_000, intervalMs: 500 });
    // A FeatureConfig of an earlier run still being finalized would swallow this apply and then go: wait it out.
    await waitFor(`an earlier ${FC_NAME} finalized`, async () => !(await fed.host.getOptional<KubeObject>(FC_PATH))?.metadata.deletionTimestamp, { timeoutMs: 120_000, intervalMs: 1000 });
    await fed.host.apply(FC_PATH, {
      apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: FC_NAME }, spec: { [o.feature]: true, mode: 'inform' },
    } as KubeObject, MANAGER);
    const fcUid = (await fed.host.get<KubeObject>(FC_PATH)).metadata.uid;
    await waitFor(`${o.feature} Supported on ${withFeature.join(', ')} and Missing on ${o.lacking}`, async () => {
      if ((await fed.host.get<KubeObject>(FC_PATH)).metadata.uid !== fcUid) throw new Error(`${FC_NAME} was replaced`);
      const st = Object.fromEntries((await listClusterFeatureStatuses(fed.host, FC_NAME)).map((x) => [x.cluster, x.features.find((f) => f.name === o.feature)?.state]));
      return withFeature.every((m) => st[m] === 'Supported') && st[o.lacking] === 'Missing';
    }, { timeoutMs: 120_000, intervalMs: 1000 });
    o.note('feature states as expected; controller up');
    await cleanup(fed, o); // leftovers of an interrupted run

    const runs: StrategyRun[] = [];
    for (const s of o.strategies) {
      runs.push(await runStrategy(fed, s, o, lacking));
      await cleanup(fed, o);
    }
    const failover = o.failover ? await failoverRuns(fed, o) : [];
    const metrics = (await controllerHttpGet(port, '/metrics').catch(() => ({ code: 0, body: '' }))).body;
    const decision: DecisionTimes = { benchmark: await decisionBenchmark(o), ...controllerDecisionTimes(metrics) };
    const members = await Promise.all(fed.names.map(async (m) => {
      const nodes = (await fed.members.get(m)!.list<NodeObj>('/api/v1/nodes')).items;
      return { name: m, nodes: nodes.length, cpu: nodes[0]?.status?.allocatable?.cpu ?? '', memory: nodes[0]?.status?.allocatable?.memory ?? '', lacks: m === o.lacking ? [o.feature] : [] };
    }));
    return { members, workload: o.apps, runs, failover, decision };
  } finally {
    await cleanup(fed, o).catch((e: Error) => o.note(`cleanup: ${e.message}`));
    // The FeatureConfig goes while the controller runs (its finalizer is the controller's).
    await fed.host.delete(FC_PATH).catch(() => undefined);
    await waitFor(`${FC_NAME} finalized`, async () => !(await fed.host.getOptional(FC_PATH)), { timeoutMs: 60_000, intervalMs: 1000 }).catch((e: Error) => o.note(e.message));
    await controller?.stop();
    for (const m of withFeature) await fed.members.get(m)!.delete(CNI).catch(() => undefined);
    fed.close();
  }
}

async function runStrategy(fed: Federation, s: Strategy, o: PlacementExperimentOptions, lacking: Record<string, string[]>): Promise<StrategyRun> {
  o.note(`${STRATEGY_LABELS[s]}: ${o.apps.length} applications`);
  const submitted = new Set<string>();
  const placements: Record<string, Record<string, number>> = {};
  const deferred = new Map<string, number>(); // app → when to retry (ms since start)
  let deferrals = 0;
  const t0 = Date.now();
  const end = (o.apps.at(-1)?.at ?? 0) + o.settleSeconds;
  const samples: Sample[] = [];
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      const t = (Date.now() - t0) / 1000;
      samples.push(countSample(t, o.apps, submitted, await fed.pods(), lacking, fed.names));
      await sleep(o.sampleMs);
    }
  })();

  const mck8s = async (app: App) => {
    const capacity: Record<string, number> = {};
    for (const m of fed.names) capacity[m] = mck8sCapacity(await fed.mck8sNodes(m), app.cpuMilli, app.memoryMi);
    const d = mck8sWorstFit(capacity, app.replicas, app.locations);
    if (d.overflow > 0) {
      deferrals++;
      deferred.set(app.name, Date.now() - t0 + 30_000); // kopf.TemporaryError(delay=30)
      o.note(`  ${app.name}: mck8s defers (${d.overflow} replicas left over; capacities ${JSON.stringify(capacity)}), retry in 30 s`);
      return;
    }
    deferred.delete(app.name);
    placements[app.name] = d.assignments;
    for (const [m, n] of Object.entries(d.assignments)) await fed.members.get(m)!.apply(DEP_PATH(EVAL_NS, app.name), deployment(app, EVAL_NS, n), MANAGER);
  };
  const submit = async (app: App) => {
    submitted.add(app.name);
    if (s === 'even') {
      const split = evenSplit(totalReplicas(app), fed.names, `${EVAL_NS}/${app.name}`);
      placements[app.name] = split;
      for (const [m, n] of Object.entries(split)) await fed.members.get(m)!.apply(DEP_PATH(EVAL_NS, app.name), deployment(app, EVAL_NS, n), MANAGER);
    } else if (s === 'mck8s-worstfit') {
      await mck8s(app);
    } else {
      await fed.host.apply(FP_PATH(app.name), featurePlacement(app, s === 'fedfeat-worstfit' ? 'WorstFit' : 'BestFit'), MANAGER);
    }
  };

  for (const app of o.apps) {
    const wait = t0 + app.at * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
    await submit(app);
  }
  while (Date.now() - t0 < end * 1000) {
    for (const [name, at] of [...deferred]) if (Date.now() - t0 >= at) await mck8s(o.apps.find((a) => a.name === name)!);
    await sleep(500);
  }
  stop = true;
  await sampler;
  const final = countSample((Date.now() - t0) / 1000, o.apps, submitted, await fed.pods(), lacking, fed.names);
  if (s.startsWith('fedfeat')) {
    for (const app of o.apps) {
      const fp = await fed.host.getOptional<KubeObject & { status?: { clusters?: Array<{ name: string; assigned: number }> } }>(FP_PATH(app.name));
      placements[app.name] = Object.fromEntries((fp?.status?.clusters ?? []).filter((c) => c.assigned > 0).map((c) => [c.name, c.assigned]));
    }
  }
  o.note(`  final: ${final.running} Running, ${final.pending} Pending, ${final.unplaced} unplaced of ${final.requested}; ${final.onLacking} on members lacking a required feature`);
  return { strategy: s, label: STRATEGY_LABELS[s], samples, final, ...(s === 'mck8s-worstfit' ? { deferrals } : {}), placements };
}

/** Removes every Deployment and FeaturePlacement of the experiment and waits for their pods to be gone. */
async function cleanup(fed: Federation, o: PlacementExperimentOptions): Promise<void> {
  const fps = await fed.host.list<KubeObject>(FP_PATH(), { query: { labelSelector: `${EVAL_LABEL}=placement` } }).catch(() => ({ items: [] as KubeObject[] }));
  for (const fp of fps.items) await fed.host.delete(FP_PATH(fp.metadata.name));
  for (const [, c] of fed.members) {
    await c.request('DELETE', DEP_PATH(EVAL_NS), { query: { labelSelector: `${EVAL_LABEL}=placement`, propagationPolicy: 'Background' } }).catch(() => undefined);
  }
  await waitFor('placements finalized', async () => (await fed.host.list<KubeObject>(FP_PATH(), { query: { labelSelector: `${EVAL_LABEL}=placement` } })).items.length === 0, { timeoutMs: 120_000, intervalMs: 1000 });
  await waitFor('experiment pods gone from every member', async () => (await fed.pods()).length === 0, { timeoutMs: 180_000, intervalMs: 1000 });
  o.note('  cleaned up');
}

async function failoverRuns(fed: Federation, o: PlacementExperimentOptions): Promise<FailoverRun[]> {
  // Half the stream's first applications fits with room to spare, so replicas have somewhere to go.
  const apps = o.apps.slice(0, 4);
  const want = apps.reduce((s, a) => s + totalReplicas(a), 0);
  const out: FailoverRun[] = [];
  const place = async () => {
    for (const a of apps) await fed.host.apply(FP_PATH(a.name), featurePlacement(a, 'WorstFit'), MANAGER);
    await waitFor(`${want} replicas Running`, async () => (await fed.pods()).filter((p) => p.phase === 'Running').length === want, { timeoutMs: 180_000, intervalMs: 1000 });
  };
  const busiest = async (among: string[], only?: (p: PodSample) => boolean) => {
    const counts = new Map<string, number>();
    for (const p of await fed.pods()) if (among.includes(p.member) && (!only || only(p))) counts.set(p.member, (counts.get(p.member) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1])[0]!;
  };
  const timeUntil = async (t0: number, check: (pods: PodSample[]) => boolean, timeoutMs: number): Promise<number | null> => {
    while (Date.now() - t0 < timeoutMs) {
      if (check(await fed.pods(1000))) return (Date.now() - t0) / 1000;
      await sleep(500);
    }
    return null;
  };

  // A member's API server stops: fedfeat's health probes (every 10 s, Offline after 3 failures) see it.
  await place();
  const [down, onDown] = await busiest(fed.names);
  o.note(`failover: ${down} holds ${onDown} of ${want} replicas; stopping its kube-apiserver`);
  let t0 = Date.now();
  await stopComponent(fed.state.instance, `${down}/kube-apiserver`);
  const elsewhere = await timeUntil(t0, (pods) => pods.filter((p) => p.member !== down && p.phase === 'Running').length >= want, 180_000);
  o.note(`  Running elsewhere after ${elsewhere ?? 'never (180 s)'} s; starting ${down}'s kube-apiserver again`);
  const back = Date.now();
  startComponent(fed.state.instance, `${down}/kube-apiserver`);
  let gone: number | null = null;
  while (Date.now() - back < 180_000) {
    // Counted only once the member answers again: a stopped API server lists nothing.
    const there = await fed.members.get(down)!.list<Pod>('/api/v1/pods', { query: { labelSelector: `${EVAL_LABEL}=placement` }, timeoutMs: 1000 }).then((l) => l.items.length, () => -1);
    if (there === 0) {
      gone = (Date.now() - back) / 1000;
      break;
    }
    await sleep(500);
  }
  out.push({
    kind: 'member-down', member: down, replicas: onDown, runningElsewhereSeconds: elsewhere, goneSeconds: gone,
    note: `${down}'s kube-apiserver stopped; goneSeconds counts from its restart (its Deployment is removed once replacements are Ready elsewhere)`,
  });
  await cleanup(fed, o);

  // A required feature removed: the CNI DaemonSet deleted on the member holding most replicas that need it.
  await place();
  const needing = new Set(apps.filter((a) => a.requires === o.feature).map((a) => a.name));
  const wantNeeding = apps.filter((a) => needing.has(a.name)).reduce((s, a) => s + totalReplicas(a), 0);
  const [stripped, onStripped] = await busiest(fed.names.filter((m) => m !== o.lacking), (p) => needing.has(p.app));
  o.note(`feature removed: ${stripped} holds ${onStripped} replicas needing ${o.feature}; deleting its CNI DaemonSet`);
  t0 = Date.now();
  await fed.members.get(stripped)!.delete(CNI);
  const moved = await timeUntil(t0, (pods) => pods.filter((p) => needing.has(p.app) && p.member !== stripped && p.phase === 'Running').length >= wantNeeding, 180_000);
  const left = await timeUntil(t0, (pods) => !pods.some((p) => needing.has(p.app) && p.member === stripped), 180_000);
  o.note(`  Running elsewhere after ${moved ?? 'never'} s, none left there after ${left ?? 'never'} s`);
  out.push({ kind: 'feature-removed', member: stripped, replicas: onStripped, runningElsewhereSeconds: moved, goneSeconds: left, note: `CNI DaemonSet deleted on ${stripped}; ${o.feature} Missing there through fedfeat's drift watch` });
  await fed.members.get(stripped)!.apply(CNI, cniDaemonSet, MANAGER);
  await cleanup(fed, o);
  return out;
}

/** benchmarks/placement-decision.js's figures (5 members shaped like the testbed; 40 members × 100 nodes). */
async function decisionBenchmark(o: PlacementExperimentOptions): Promise<DecisionTimes['benchmark']> {
  o.note('decision time: node dist/benchmarks/placement-decision.js');
  const text = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'benchmarks', 'placement-decision.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`placement-decision.js exited ${code}`))));
  });
  return parseDecisionBenchmark(text);
}

/** The benchmark's result lines: "<label> … p50 X ms   p99 Y ms …" (pure). */
export function parseDecisionBenchmark(text: string): DecisionTimes['benchmark'] {
  return text.split('\n').flatMap((line) => {
    const m = /^(.*?)\s{2,}.*?p50 ([\d.]+) ms\s+p99 ([\d.]+) ms/.exec(line);
    const c = /cpu p50 ([\d.]+) ms p99 ([\d.]+) ms\s+load ([\d.]+)/.exec(line);
    return m ? [{ label: m[1]!.trim(), p50Ms: Number(m[2]), p99Ms: Number(m[3]), ...(c ? { cpuP50Ms: Number(c[1]), cpuP99Ms: Number(c[2]), load: Number(c[3]) } : {}), line: line.trim() }] : [];
  });
}

/** Count, mean and share under 10 ms of fedfeat_placement_decision_seconds from /metrics text (pure). */
export function controllerDecisionTimes(metrics: string): Pick<DecisionTimes, 'controller'> {
  const num = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? NaN);
  const count = num(/^fedfeat_placement_decision_seconds_count(?:\{\})? ([\d.e+-]+)$/m);
  const sum = num(/^fedfeat_placement_decision_seconds_sum(?:\{\})? ([\d.e+-]+)$/m);
  const under = num(/^fedfeat_placement_decision_seconds_bucket\{le="0\.01"\} ([\d.e+-]+)$/m);
  if (!(count > 0)) return {};
  return { controller: { decisions: count, meanMs: (sum / count) * 1000, under10ms: under / count } };
}
