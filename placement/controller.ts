// The placement loop on the host, inside the fedfeat controller (so leader
// election covers it): an informer on FeaturePlacements, its own work queue
// keyed per placement, and member caches (member-caches.ts) for the members
// placements consider. A reconcile is level-triggered: read the caches and
// fedfeat's feature results, decide (filter.ts, capacity.ts, plan.ts — pure),
// move without dropping below what runs (transition.ts), apply member
// Deployments with Server-Side Apply, write status and Events. Member and
// feature changes re-queue the placements they concern (debounced).
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { labelValue } from '../api/cluster-feature-status.js';
import { ccoordPath, fromMilliseconds, type ClusterCoordinateObject } from '../api/cluster-coordinate.js';
import type { Coordinate } from '../coordinates/vivaldi.js';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, type FeatureConfig } from '../api/featureconfig.js';
import {
  ensureSpec, FEATUREPLACEMENT_API_VERSION, FEATUREPLACEMENT_FINALIZER, FEATUREPLACEMENT_PLURAL, withDefaults,
  type FeaturePlacement, type FeaturePlacementStatus, type PlacementCondition, type PlacementMemberStatus,
} from '../api/featureplacement.js';
import { matchesSelector } from '../api/label-selector.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { EventRecorder } from '../controller/events.js';
import { Informer, objectKey } from '../controller/informer.js';
import type { Logger } from '../controller/logger.js';
import type { Member, MemberRegistry } from '../controller/member-registry.js';
import type { Metrics } from '../controller/metrics.js';
import type { MemberResults } from '../controller/results.js';
import { WorkQueue, type WorkResult } from '../controller/workqueue.js';
import { filterMembers, type MemberView } from './decide.js';
import { decideLatency } from './latency-decide.js';
import { MemberCaches, type DeploymentObject, type MemberCache } from './member-caches.js';
import { plan } from './plan.js';
import { heldForPlan } from './sticky.js';
import { memberDeployment, PLACEMENT_FIELD_MANAGER, PLACEMENT_UID_ANNOTATION, placementLabelValue, TEMPLATE_HASH_ANNOTATION } from './render.js';
import { transition, type MemberNow } from './transition.js';

export interface PlacementDeps {
  host: KubeClient;
  members: MemberRegistry;
  featureConfigs: Informer<FeatureConfig>;
  results: MemberResults;
  log: Logger;
  metrics: Metrics;
  now(): Date;
}

export interface PlacementOptions {
  workers: number;
  /** Periodic re-decision of every placement. */
  resyncMs: number;
  /** Member and feature changes are collected this long before a placement is decided again. */
  debounceMs: number;
}

export const DEFAULT_PLACEMENT_OPTIONS: PlacementOptions = { workers: 4, resyncMs: 30_000, debounceMs: 500 };

/** Label on the FeatureConfig a placement owns (ensureFeatures): `<namespace>.<name>`. */
export const OWNER_PLACEMENT_LABEL = 'feature.kubefed.io/owner-placement';
const EXCLUDED_MAX = 50;

export const ensuredFeatureConfigName = (fp: FeaturePlacement) => {
  const name = `fp-${fp.metadata.namespace}-${fp.metadata.name}`;
  return name.length <= 253 ? name : `${name.slice(0, 230)}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
};

const deploymentPath = (ns: string, name?: string) => `/apis/apps/v1/namespaces/${ns}/deployments${name ? `/${name}` : ''}`;

export class PlacementController {
  readonly placements: Informer<FeaturePlacement>;
  readonly queue: WorkQueue<string>;
  readonly caches: MemberCaches;
  /** Members' network coordinates (policy Latency), from the ClusterCoordinate objects. */
  readonly coordinates: Informer<ClusterCoordinateObject>;
  private readonly events: EventRecorder;
  private readonly log: Logger;

  constructor(private readonly d: PlacementDeps, private readonly opts: PlacementOptions = DEFAULT_PLACEMENT_OPTIONS) {
    this.log = d.log.child({ component: 'placement' });
    this.placements = new Informer<FeaturePlacement>(d.host, resourcePath(FEATUREPLACEMENT_API_VERSION, FEATUREPLACEMENT_PLURAL), this.log.child({ informer: 'featureplacements' }));
    this.events = new EventRecorder(d.host, this.log, { namespace: 'default', component: 'fedfeat-placement', burst: 25, refillPerMinute: 12, objectBurst: 50, objectRefillPerMinute: 30 });
    this.queue = new WorkQueue<string>((key) => this.reconcile(key), {
      concurrency: opts.workers, baseBackoffMs: 1000, maxBackoffMs: 60_000,
      onError: (key, err, retry) => this.log.warn('placement reconcile failed; retrying', { placement: key, error: err.message, retryInMs: retry }),
    });
    this.caches = new MemberCaches(this.log, (cluster) => this.memberChanged(cluster));
    this.placements.addHandlers({
      onAdd: (fp) => { this.syncCaches(); this.queue.add(objectKey(fp)); },
      onUpdate: (a, b) => {
        if (a.metadata.generation !== b.metadata.generation || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp) {
          this.syncCaches();
          this.queue.add(objectKey(b));
        }
      },
      onDelete: () => this.syncCaches(),
    });
    this.coordinates = new Informer<ClusterCoordinateObject>(d.host, ccoordPath(), this.log.child({ informer: 'clustercoordinates' }));
    // Objects are written only when a prediction moves by 10 % (coordinate-publisher.ts): each change is worth a decision.
    const moved = () => { for (const fp of this.placements.list()) if (fp.spec.policy === 'Latency') this.queue.addAfter(objectKey(fp), this.opts.debounceMs); };
    this.coordinates.addHandlers({ onAdd: moved, onUpdate: moved, onDelete: moved });
  }

  async start(): Promise<void> {
    this.placements.start();
    this.coordinates.start();
    await this.placements.waitForSync();
    this.syncCachesNow();
    this.queue.start();
    this.d.metrics.addCollector(() => this.d.metrics.set('fedfeat_placement_member_caches', {}, this.caches.size));
    this.log.info('placement started', { placements: this.placements.list().length });
  }

  async stop(): Promise<void> {
    clearTimeout(this.cacheSync);
    await this.queue.shutdown();
    this.events.stop();
    await this.caches.stop();
    await this.placements.stop();
    await this.coordinates.stop();
  }

  /** A member appeared, went, changed labels or health: caches follow, every placement decides again. */
  membersChanged(): void {
    this.syncCaches();
    for (const fp of this.placements.list()) this.queue.addAfter(objectKey(fp), this.opts.debounceMs);
  }

  /** fedfeat's feature results changed (a ClusterFeatureStatus, or a probe in memory). */
  featuresChanged(): void {
    for (const fp of this.placements.list()) this.queue.addAfter(objectKey(fp), this.opts.debounceMs);
  }

  private memberChanged(cluster: string): void {
    const m = this.d.members.get(cluster);
    for (const fp of this.placements.list()) {
      if (!m || matchesSelector(fp.spec.clusterSelector, m.labels)) this.queue.addAfter(objectKey(fp), this.opts.debounceMs);
    }
  }

  private selected(fp: FeaturePlacement): Member[] {
    return this.d.members.list().filter((m) => matchesSelector(fp.spec.clusterSelector, m.labels)).sort((a, b) => a.name.localeCompare(b.name));
  }

  private cacheSync?: NodeJS.Timeout;

  /** Coalesced: thousands of members registering at once cost one pass. */
  private syncCaches(): void {
    if (this.cacheSync) return;
    this.cacheSync = setTimeout(() => {
      this.cacheSync = undefined;
      this.syncCachesNow();
    }, 100);
    this.cacheSync.unref?.();
  }

  /** Caches for every Ready member some placement selects; none for the others. */
  private syncCachesNow(): void {
    const need = new Map<string, Member>();
    for (const fp of this.placements.list()) for (const m of this.selected(fp)) if (m.ready && m.client) need.set(m.name, m);
    this.caches.keep([...need.values()]);
  }

  private async reconcile(key: string): Promise<WorkResult | void> {
    const fp = this.placements.get(key);
    if (!fp) return;
    if (fp.metadata.deletionTimestamp) return this.finalize(fp);
    if (!fp.metadata.finalizers?.includes(FEATUREPLACEMENT_FINALIZER)) {
      await this.d.host.mergePatch(this.path(fp), { metadata: { finalizers: [...(fp.metadata.finalizers ?? []), FEATUREPLACEMENT_FINALIZER], resourceVersion: fp.metadata.resourceVersion } });
    }
    const spec = withDefaults(fp.spec);
    const ns = fp.metadata.namespace!;
    const label = placementLabelValue(fp);
    const selected = this.selected(fp);
    const now = this.d.now();

    // Decide from caches only.
    const started = performance.now();
    const views = this.d.featureConfigs.list().filter((fc) => !fc.metadata.deletionTimestamp).map((fc) => ({ fc, results: this.d.results.of(fc.metadata.name) }));
    const caches = new Map<string, MemberCache>();
    const memberViews: MemberView[] = selected.map((m) => {
      // An Offline member's cache lives on until the next cache sync: stale, and its member is not to be touched.
      const c = m.ready && m.client ? this.caches.get(m.name) : undefined;
      if (c?.synced()) caches.set(m.name, c);
      return {
        name: m.name, labels: m.labels, annotations: m.annotations, ready: m.ready && !!m.client,
        ...(m.lastError ? { lastError: m.lastError } : {}), ...(m.configError ? { configError: m.configError } : {}),
        ...(c?.synced() ? { cache: { nodes: c.nodes.list(), used: c.used, ownPods: c.podsOf(fp.metadata.namespace!, placementLabelValue(fp)) } } : {}),
      };
    });
    const filtered = filterMembers(fp, memberViews, views);
    let rttMs: Record<string, number> | undefined;
    let latencyWeights: Record<string, number> | undefined;
    if (spec.policy === 'Latency') {
      if (!this.coordinates.hasSynced()) return { requeueAfterMs: 2000 };
      const lat = decideLatency(spec.latency ?? { origins: [] }, filtered.qualified, this.memberCoordinates());
      filtered.qualified = lat.qualified;
      filtered.excluded.push(...lat.excluded);
      ({ rttMs, weights: latencyWeights } = lat);
      if (lat.unresolved.length) this.events.record(fp, { type: 'Warning', reason: 'OriginUnknown', message: `origins left out: ${lat.unresolved.join('; ')}`.slice(0, 1024) });
      if (lat.unreached.length) this.events.record(fp, { type: 'Warning', reason: 'OriginOutOfReach', message: `no member within maxRttMs ${spec.latency?.maxRttMs} ms of ${lat.unreached.join(', ')}: served by its nearest member` });
    }
    const qualified = new Set(filtered.qualified.map((q) => q.name));

    // What runs now, on members whose caches answer.
    const current: Record<string, number> = {};
    const running: Record<string, MemberNow> = {};
    const deployments = new Map<string, DeploymentObject>();
    const pending: Record<string, number> = {};
    const stuck: Record<string, number> = {};
    let nextStuckCheckMs = Number.POSITIVE_INFINITY;
    for (const [name, c] of caches) {
      const dep = c.deployments.get(`${ns}/${fp.metadata.name}`);
      if (dep && dep.metadata.annotations?.[PLACEMENT_UID_ANNOTATION] === fp.metadata.uid) {
        deployments.set(name, dep);
        current[name] = heldForPlan(name, dep.spec?.replicas ?? 0, fp.status?.clusters);
        running[name] = { replicas: dep.spec?.replicas ?? 0, ready: dep.status?.readyReplicas ?? 0 };
      }
      for (const p of c.podsOf(ns, label)) {
        if (p.status?.phase !== 'Pending' || p.spec?.nodeName) continue;
        pending[name] = (pending[name] ?? 0) + 1;
        const since = Date.parse(p.status.conditions?.find((x) => x.type === 'PodScheduled')?.lastTransitionTime ?? p.metadata.creationTimestamp ?? now.toISOString());
        const left = since + spec.unschedulableSeconds * 1000 - now.getTime();
        if (left <= 0) stuck[name] = (stuck[name] ?? 0) + 1;
        else nextStuckCheckMs = Math.min(nextStuckCheckMs, left + 100);
      }
    }
    const decision = plan({
      replicas: spec.replicas, policy: spec.policy, type: spec.replicaScheduling.type, ...(spec.numberOfClusters ? { numberOfClusters: spec.numberOfClusters } : {}),
      overflow: spec.overflow, preferences: spec.replicaScheduling.clusters, qualified: filtered.qualified,
      ...(spec.rebalance ? {} : { current }), stuck, key, ...(latencyWeights ? { latencyWeights } : {}),
    });
    this.d.metrics.observe('fedfeat_placement_decision_seconds', {}, (performance.now() - started) / 1000);
    this.d.metrics.set('fedfeat_placement_unschedulable_replicas', { namespace: ns, placement: fp.metadata.name }, decision.unschedulable);

    // Members left first: those no longer qualified, then the rest in reverse policy order.
    const leaving = Object.keys(running).filter((m) => !qualified.has(m));
    const tr = transition(decision.assignments, running, [...leaving, ...[...decision.order].reverse()]);
    const errors: string[] = [];
    const nodesOf = new Map(filtered.qualified.map((q) => [q.name, q.nodes]));
    const targets = new Set([...Object.keys(decision.assignments), ...Object.keys(tr.apply)]);
    for (const member of targets) {
      if (tr.remove.includes(member)) continue;
      const replicas = tr.apply[member] ?? running[member]?.replicas ?? decision.assignments[member]!;
      const obj = memberDeployment(fp, replicas, nodesOf.get(member));
      const have = deployments.get(member);
      if (have && have.spec?.replicas === replicas && have.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION] === obj.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION]) continue;
      await this.onMember(member, errors, (client) => client.apply(deploymentPath(ns, fp.metadata.name), obj, PLACEMENT_FIELD_MANAGER));
    }
    for (const member of tr.remove) {
      await this.onMember(member, errors, (client) => client.delete(deploymentPath(ns, fp.metadata.name)));
      this.events.record(fp, { type: 'Normal', reason: 'Removed', message: `Deployment removed from ${member}: its replicas run elsewhere`, cluster: member });
    }
    for (const e of errors) this.events.record(fp, { type: 'Warning', reason: 'ApplyFailed', message: e });

    const cachesPending = selected.some((m) => m.ready && m.client && !caches.has(m.name));
    // Members whose caches have not synced look unqualified (CapacityUnknown): not a reason to enforce anything.
    const short = !cachesPending && (filtered.qualified.length < (spec.numberOfClusters ?? 1) || decision.unschedulable > 0);
    const ensured = await this.ensureFeatures(fp, spec.ensureFeatures, short);

    // Status.
    const clusters: PlacementMemberStatus[] = [...new Set([...Object.keys(decision.assignments), ...Object.keys(running)])].sort().map((name) => ({
      name, assigned: decision.assignments[name] ?? 0, ready: running[name]?.ready ?? 0, pending: pending[name] ?? 0,
      ...(rttMs?.[name] !== undefined ? { rttMs: rttMs[name] } : {}),
    }));
    const assigned = Object.values(decision.assignments).reduce((a, b) => a + b, 0);
    const readyOnPlanned = Object.keys(decision.assignments).reduce((a, m) => a + Math.min(running[m]?.ready ?? 0, decision.assignments[m]!), 0);
    const prev = fp.status;
    const changedPlan = JSON.stringify((prev?.clusters ?? []).filter((c) => c.assigned > 0).map((c) => [c.name, c.assigned])) !== JSON.stringify(clusters.filter((c) => c.assigned > 0).map((c) => [c.name, c.assigned]));
    const gen = fp.metadata.generation ?? 0;
    const conditions: PlacementCondition[] = [
      condition(prev, gen, now, 'Scheduled', ...scheduled(assigned, decision.unschedulable, filtered.excluded.length, selected.length)),
      condition(prev, gen, now, 'Ready', ...readiness(spec.replicas, errors, tr.held, readyOnPlanned, assigned)),
      ...(ensured ? [condition(prev, gen, now, 'FeaturesEnsured', 'True', 'FeatureConfigApplied', `FeatureConfig ${ensured} enforces ${(spec.requiredFeatures ?? []).map((f) => f.name).join(', ')} on the selected members`)] : []),
    ];
    const status: FeaturePlacementStatus = {
      observedGeneration: gen,
      conditions,
      clusters,
      excluded: filtered.excluded.slice(0, EXCLUDED_MAX),
      unschedulable: decision.unschedulable,
      summary: `${assigned}/${assigned + decision.unschedulable}`,
      lastDecisionTime: changedPlan || !prev?.lastDecisionTime ? now.toISOString() : prev.lastDecisionTime,
    };
    // The API server returns keys in its own order: compare as values.
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(prev ?? {})), JSON.parse(JSON.stringify(status)))) {
      await this.d.host.apply(`${this.path(fp)}/status`, { apiVersion: FEATUREPLACEMENT_API_VERSION, kind: 'FeaturePlacement', metadata: { name: fp.metadata.name, namespace: ns }, status } as KubeObject, PLACEMENT_FIELD_MANAGER);
    }
    if (changedPlan) {
      const where = Object.entries(decision.assignments).map(([m, n]) => `${m}=${n}`).join(', ') || 'no member';
      this.events.record(fp, { type: 'Normal', reason: 'Placed', message: `${spec.policy} ${spec.replicaScheduling.type}: ${where}${tr.held ? `; ${tr.held} replicas kept where they run until replacements are Ready` : ''}` });
    }
    // Before every member's cache has synced, a shortfall says nothing yet.
    if (decision.unschedulable > 0 && !cachesPending) {
      this.events.record(fp, { type: 'Warning', reason: 'Unschedulable', message: `${decision.unschedulable} replicas fit no qualifying member${filtered.excluded.length ? ` (${filtered.excluded.length} members excluded, e.g. ${filtered.excluded[0]!.name}: ${filtered.excluded[0]!.reason})` : ''}` });
    }
    this.log.debug('placement decided', { placement: key, assignments: decision.assignments, unschedulable: decision.unschedulable, held: tr.held, excluded: filtered.excluded.length });
    // Not every selected member answers yet, a move waits for Ready replicas, or pods may pass unschedulableSeconds.
    const waiting = tr.held > 0 || cachesPending;
    return { requeueAfterMs: Math.min(waiting ? 2000 : this.opts.resyncMs, nextStuckCheckMs) };
  }

  /** Member → coordinate from the informer's cache (no request per decision). */
  private memberCoordinates(): Map<string, Coordinate> {
    const out = new Map<string, Coordinate>();
    for (const o of this.coordinates.list()) if (o.cluster && o.coordinate?.vec) out.set(o.cluster, fromMilliseconds(o.coordinate));
    return out;
  }

  private path(fp: FeaturePlacement): string {
    return resourcePath(FEATUREPLACEMENT_API_VERSION, FEATUREPLACEMENT_PLURAL, fp.metadata.namespace, fp.metadata.name);
  }

  private async onMember(member: string, errors: string[], fn: (client: KubeClient) => Promise<unknown>): Promise<void> {
    const client = this.d.members.get(member)?.client;
    if (!client) return void errors.push(`member ${member} has no client`);
    try {
      await fn(client);
    } catch (e) {
      const hint = e instanceof KubeApiError && e.statusCode === 403 ? ` (grant it with fedfeat join ${member} --placement-namespaces ...)` : '';
      errors.push(`member ${member}: ${(e as Error).message.slice(0, 300)}${hint}`);
    }
  }

  /** ensureFeatures: a FeatureConfig enforcing the required features once too few members qualify; gone when not asked. */
  private async ensureFeatures(fp: FeaturePlacement, wanted: boolean, short: boolean): Promise<string | undefined> {
    const name = ensuredFeatureConfigName(fp);
    const existing = this.d.featureConfigs.get(name);
    const ours = existing?.metadata.labels?.[OWNER_PLACEMENT_LABEL] === labelValue(`${fp.metadata.namespace}.${fp.metadata.name}`);
    if (!wanted || !(fp.spec.requiredFeatures ?? []).length) {
      if (existing && ours) await this.d.host.delete(resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name));
      return undefined;
    }
    if (!existing && !short) return undefined;
    if (existing && !ours) {
      this.events.record(fp, { type: 'Warning', reason: 'FeatureConfigConflict', message: `FeatureConfig ${name} exists and is not this placement's; features not ensured` });
      return undefined;
    }
    const fc = {
      apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig',
      metadata: { name, labels: { [OWNER_PLACEMENT_LABEL]: labelValue(`${fp.metadata.namespace}.${fp.metadata.name}`), 'app.kubernetes.io/managed-by': 'fedfeat' } },
      spec: ensureSpec(fp.spec.requiredFeatures ?? [], fp.spec.clusterSelector),
    };
    await this.d.host.apply(resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name), fc as KubeObject, PLACEMENT_FIELD_MANAGER);
    if (!existing) this.events.record(fp, { type: 'Normal', reason: 'EnsuringFeatures', message: `too few members qualify: FeatureConfig ${name} enforces the required features` });
    return name;
  }

  /** Deletion: the member Deployments (every registered member that answers), the owned FeatureConfig, then the finalizer. */
  private async finalize(fp: FeaturePlacement): Promise<WorkResult | void> {
    if (!fp.metadata.finalizers?.includes(FEATUREPLACEMENT_FINALIZER)) return;
    const errors: string[] = [];
    for (const m of this.selectedOrHolding(fp)) {
      if (!m.ready) {
        errors.push(`member ${m.name} is Offline`);
        continue;
      }
      await this.onMember(m.name, errors, (client) => client.delete(deploymentPath(fp.metadata.namespace!, fp.metadata.name)));
    }
    if (errors.length) {
      this.events.record(fp, { type: 'Warning', reason: 'CleanupPending', message: `member Deployments not yet removed: ${errors.join('; ')}` });
      return { requeueAfterMs: 10_000 };
    }
    await this.ensureFeatures(fp, false, false);
    await this.d.host.mergePatch(this.path(fp), { metadata: { finalizers: (fp.metadata.finalizers ?? []).filter((f) => f !== FEATUREPLACEMENT_FINALIZER), resourceVersion: fp.metadata.resourceVersion } });
  }

  /** Members that may hold this placement's Deployment: selected ones and those its status lists. */
  private selectedOrHolding(fp: FeaturePlacement): Member[] {
    const names = new Set([...this.selected(fp).map((m) => m.name), ...(fp.status?.clusters ?? []).map((c) => c.name)]);
    return [...names].map((n) => this.d.members.get(n)).filter((m): m is Member => !!m);
  }
}

type CondArgs = [status: PlacementCondition['status'], reason: string, message: string];

function scheduled(assigned: number, unschedulable: number, excluded: number, selected: number): CondArgs {
  if (unschedulable === 0) return ['True', 'Placed', `${assigned} replicas assigned`];
  if (assigned === 0) return ['False', 'NoQualifiedMember', `no member can take replicas: ${excluded} of ${selected} selected members excluded (see status.excluded)`];
  return ['False', 'InsufficientCapacity', `${unschedulable} of ${assigned + unschedulable} replicas fit no qualifying member`];
}

function readiness(wanted: number, errors: string[], held: number, ready: number, assigned: number): CondArgs {
  if (assigned === 0) return wanted === 0 ? ['True', 'NoReplicas', 'spec.replicas is 0'] : ['False', 'NothingPlaced', 'no replica is assigned to any member'];
  if (errors.length) return ['False', 'ApplyFailed', errors.join('; ').slice(0, 4096)];
  if (held > 0) return ['False', 'Moving', `${held} replicas kept on members being left until their replacements are Ready`];
  if (ready < assigned) return ['False', 'ReplicasNotReady', `${ready}/${assigned} replicas Ready`];
  return ['True', 'AllReplicasReady', `${ready}/${assigned} replicas Ready`];
}

function condition(prev: FeaturePlacementStatus | undefined, gen: number, now: Date, type: PlacementCondition['type'], ...[status, reason, message]: CondArgs): PlacementCondition {
  const old = prev?.conditions?.find((c) => c.type === type);
  return { type, status, observedGeneration: gen, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now.toISOString(), reason, message };
}
