// The host control loop: informers on FeatureConfigs, KubeFedClusters and
// their Secrets; one work queue of typed items (a member reconcile per
// (FeatureConfig, member), a status write and a finalize per FeatureConfig),
// so every member is worked on concurrently and a slow or dead member delays
// no other. The reconcilers live in reconcile-member.ts, reconcile-status.ts
// and reconcile-finalize.ts; this file wires them up.
import { cfsPath, toClusterResult, type ClusterFeatureStatusObject } from '../api/cluster-feature-status.js';
import { desiredFeatures, FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, type FeatureConfig } from '../api/featureconfig.js';
import { matchesSelector } from '../api/label-selector.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../api/kubefed.js';
import type { KubeClient, KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import type { ReconfiguratorRegistry } from '../reconfigurators/registry.js';
import { EventRecorder } from './events.js';
import { Informer } from './informer.js';
import type { Logger } from './logger.js';
import { CoordinatePublisher } from './coordinate-publisher.js';
import { DEFAULT_HEALTH, MemberRegistry, type Member } from './member-registry.js';
import { DEFAULT_WRITER, MemberStatusWriter } from './member-status-writer.js';
import { MemberWatch, planDriftWatches, watchKindsFor, type WatchKind } from './member-watch.js';
import type { Metrics } from './metrics.js';
import { DEFAULT_PLACEMENT_OPTIONS, PlacementController } from '../placement/controller.js';
import { FIELD_MANAGER, type ControllerOptions, type ControllerParts } from './parts.js';
import { finalize } from './reconcile-finalize.js';
import { reconcileMemberItem } from './reconcile-member.js';
import { writeStatus } from './reconcile-status.js';
import { MemberResults } from './results.js';
import { finalizeWork, memberWork, statusWork, workKey, type WorkItem } from './work-items.js';
import { WorkQueue, type WorkResult } from './workqueue.js';

export { FIELD_MANAGER, type ControllerOptions } from './parts.js';

export const DEFAULT_OPTIONS: ControllerOptions = {
  // Reconciles mostly wait on member API servers (one or two reads each at a fleet-wide resync), so
  // concurrency, not CPU, bounds how fast thousands of members are reported.
  workers: 32,
  resyncMs: 60_000,
  verifyTimeoutMs: 300_000,
  health: DEFAULT_HEALTH,
  probe: { nodeProbeConcurrency: 8, requestTimeoutMs: 10_000 },
  eventNamespace: 'default',
  driftWatches: true,
  driftWatchLimit: 300,
};

type Secret = KubeObject & { data?: Record<string, string> };

export class FeatureController {
  readonly featureConfigs: Informer<FeatureConfig>;
  readonly members: MemberRegistry;
  readonly queue: WorkQueue<WorkItem>;
  readonly events: EventRecorder;
  private readonly clusters: Informer<KubeFedCluster>;
  private readonly secrets: Informer<Secret>;
  /** The per-member results stored on the host: what a restarted or new leader rebuilds its view from. */
  private readonly memberStatuses: Informer<ClusterFeatureStatusObject>;
  readonly memberStatus: MemberStatusWriter;
  /** Members' Vivaldi coordinates from the health probes, written as ClusterCoordinate objects. */
  readonly coordinates: CoordinatePublisher;
  private readonly results = new MemberResults();
  private readonly watches = new Map<string, MemberWatch>();
  private watchSync?: NodeJS.Timeout;
  private readonly abort = new AbortController();
  private readonly parts: ControllerParts;
  /** FeaturePlacements: their own informer, queue and member caches, started and stopped with this controller. */
  readonly placement?: PlacementController;

  constructor(
    host: KubeClient,
    registry: ReconfiguratorRegistry,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly opts: ControllerOptions = DEFAULT_OPTIONS,
    now: () => Date = () => new Date(),
  ) {
    this.featureConfigs = new Informer<FeatureConfig>(host, resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL), log.child({ informer: 'featureconfigs' }));
    this.clusters = new Informer<KubeFedCluster>(host, resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE), log.child({ informer: 'kubefedclusters' }));
    this.secrets = new Informer<Secret>(host, resourcePath('v1', 'secrets', KUBEFED_NAMESPACE), log.child({ informer: 'secrets' }));
    this.memberStatuses = new Informer<ClusterFeatureStatusObject>(host, cfsPath(), log.child({ informer: 'clusterfeaturestatuses' }));
    this.memberStatus = new MemberStatusWriter(host, this.memberStatuses, log, { ...DEFAULT_WRITER, fieldManager: FIELD_MANAGER });
    this.members = new MemberRegistry(host, this.clusters, this.secrets, log, opts.health, FIELD_MANAGER);
    this.coordinates = new CoordinatePublisher(host, this.clusters, log, { fieldManager: FIELD_MANAGER }, now);
    this.members.onProbeRTT((cluster, rtt) => this.coordinates.sample(cluster, rtt));
    // Per member: a flapping one cannot flood. Per FeatureConfig: 3,500 members detected at once make
    // 50 Events and a summary a minute, not 7,000 (each member's state is in its ClusterFeatureStatus).
    this.events = new EventRecorder(host, log, {
      namespace: opts.eventNamespace, component: 'fedfeat-controller', burst: 25, refillPerMinute: 12, objectBurst: 50, objectRefillPerMinute: 30,
    });
    this.queue = new WorkQueue<WorkItem>((item) => this.handle(item), {
      concurrency: opts.workers,
      baseBackoffMs: 1000,
      maxBackoffMs: 120_000,
      keyOf: workKey,
      onError: (item, err, retry) => {
        this.metrics.inc('fedfeat_reconcile_errors_total', { kind: item.kind });
        this.log.warn('reconcile failed; retrying', { work: workKey(item), featureconfig: item.featureConfig, ...(item.kind === 'member' ? { cluster: item.cluster } : {}), error: err.message, retryInMs: retry });
      },
    });
    this.parts = {
      host, registry, log, metrics, opts, now,
      featureConfigs: this.featureConfigs, members: this.members, queue: this.queue, events: this.events, results: this.results,
      memberStatus: this.memberStatus,
      signal: this.abort.signal,
      selectedMembers: (fc) => this.selectedMembers(fc),
      recentChanges: (cluster) => this.watches.get(cluster)?.recentForeignChanges() ?? [],
    };

    if (opts.placement !== false) {
      this.placement = new PlacementController({ host, members: this.members, featureConfigs: this.featureConfigs, results: this.results, log, metrics, now }, { ...DEFAULT_PLACEMENT_OPTIONS, ...opts.placement });
      // Placement decides on feature states: re-decide when a member's results or a FeatureConfig change.
      const changed = () => this.placement?.featuresChanged();
      this.memberStatuses.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
      this.featureConfigs.addHandlers({ onAdd: changed, onUpdate: (a, b) => a.metadata.generation !== b.metadata.generation && changed(), onDelete: changed });
    }
    this.featureConfigs.addHandlers({
      onAdd: (fc) => this.enqueueFeatureConfig(fc),
      onUpdate: (a, b) => {
        if (a.metadata.generation !== b.metadata.generation || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp) this.enqueueFeatureConfig(b);
      },
      onDelete: (fc) => {
        this.results.drop(fc.metadata.name);
        this.selections.delete(fc.metadata.name);
      },
    });
    // Drift watches depend on what FeatureConfigs ask (not on their status writes).
    this.featureConfigs.addHandlers({
      onAdd: () => this.syncWatches(),
      onUpdate: (a, b) => (a.metadata.generation !== b.metadata.generation || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp) && this.syncWatches(),
      onDelete: () => this.syncWatches(),
    });
    this.members.onChange((cluster, why) => {
      this.log.debug('member changed', { cluster, why });
      if (why === 'unregistered') this.coordinates.forget(cluster);
      this.membersVersion++;
      this.syncWatches();
      for (const fc of this.featureConfigs.list()) this.queue.add(memberWork(fc.metadata.name, cluster));
      this.placement?.membersChanged();
    });
  }

  async start(): Promise<void> {
    const informers = [this.featureConfigs, this.clusters, this.secrets, this.memberStatuses];
    for (const inf of informers) inf.start();
    await Promise.all(informers.map((i) => i.waitForSync()));
    this.restoreResults();
    // Without the stored coordinates a new leader relearns them from scratch: worth a warning, not a stop.
    await this.coordinates.restore().catch((e: Error) => this.log.warn('could not read stored ClusterCoordinates', { error: e.message }));
    this.members.start();
    this.queue.start();
    // Not awaited: a host without the FeaturePlacement CRD keeps the rest running (its informer retries).
    void this.placement?.start().catch((e: Error) => this.log.error('placement failed to start', { error: e.message }));
    this.log.info('controller started', { featureconfigs: this.featureConfigs.list().length, members: this.members.list().length });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.watchSync);
    await this.placement?.stop();
    await this.queue.shutdown();
    this.members.stop();
    await Promise.all([...this.watches.values()].map((w) => w.stop()));
    await this.memberStatus.onIdle();
    await this.coordinates.onIdle();
    this.events.stop();
    await Promise.all([this.featureConfigs, this.clusters, this.secrets, this.memberStatuses].map((i) => i.stop()));
  }

  synced(): boolean {
    return [this.featureConfigs, this.clusters, this.secrets, this.memberStatuses].every((i) => i.hasSynced());
  }

  /**
   * A restarted controller, or a standby that just became leader, starts from what the last leader stored:
   * each member's last results, so a halted rollout stays halted, a canary's failure still counts and drift
   * is told from a first probe. Objects of a FeatureConfig that is gone (or was re-created) are ignored.
   */
  private restoreResults(): void {
    let restored = 0;
    for (const o of this.memberStatuses.list()) {
      const fc = this.featureConfigs.get(o.featureConfig);
      if (!fc || !o.metadata.ownerReferences?.some((r) => r.uid === fc.metadata.uid)) continue;
      this.results.of(o.featureConfig).set(o.cluster, toClusterResult(o));
      restored++;
    }
    if (restored) this.log.info('restored member results from ClusterFeatureStatus objects', { restored });
  }

  /** Bumped whenever a member appears, goes, changes labels or flips health: selections are recomputed then. */
  private membersVersion = 0;
  private readonly selections = new Map<string, { key: string; members: Member[] }>();

  /**
   * Registered members the FeatureConfig's clusterSelector picks, sorted by name. Cached per FeatureConfig
   * until a member or the selector changes: every member's reconcile asks, and recomputing it each time
   * costs O(N log N) per member — minutes of CPU at thousands of members.
   */
  selectedMembers(fc: FeatureConfig): Member[] {
    const key = `${this.membersVersion}/${fc.metadata.uid}/${fc.metadata.generation}`;
    const cached = this.selections.get(fc.metadata.name);
    if (cached?.key === key) return cached.members;
    const members = this.members.list().filter((m) => matchesSelector(fc.spec.clusterSelector, m.labels)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.selections.set(fc.metadata.name, { key, members });
    return members;
  }

  /** Per-member API requests so far (host excluded), for load figures. */
  memberRequestCounts(): Record<string, number> {
    return Object.fromEntries(this.members.list().map((m) => [m.name, m.client?.stats.requests ?? 0]));
  }

  private enqueueFeatureConfig(fc: FeatureConfig): void {
    const name = fc.metadata.name;
    if (fc.metadata.deletionTimestamp) return this.queue.add(finalizeWork(name));
    for (const m of this.members.list()) this.queue.add(memberWork(name, m.name));
    this.queue.add(statusWork(name));
  }

  /** Drift watches follow members and FeatureConfigs; coalesced, as thousands of members register at once on start. */
  private syncWatches(): void {
    if (!this.opts.driftWatches || this.watchSync || this.abort.signal.aborted) return;
    this.watchSync = setTimeout(() => {
      this.watchSync = undefined;
      this.applyWatchPlan();
    }, 100);
    this.watchSync.unref?.();
  }

  /**
   * Ready members get watches on the kinds their requested features depend on
   * (FeatureConfigs selecting them, not being deleted), at most driftWatchLimit
   * members; the rest are looked at by the periodic resync.
   */
  private applyWatchPlan(): void {
    const fcs = this.featureConfigs.list().filter((fc) => !fc.metadata.deletionTimestamp);
    const wanted = new Map<string, WatchKind[]>();
    for (const m of this.members.list()) {
      if (!m.client || !m.ready) continue;
      const features = fcs.filter((fc) => matchesSelector(fc.spec.clusterSelector, m.labels)).flatMap((fc) => desiredFeatures(fc.spec).map((f) => f.name));
      wanted.set(m.name, watchKindsFor(features));
    }
    const limit = this.opts.driftWatchLimit ?? DEFAULT_OPTIONS.driftWatchLimit ?? 300;
    const plan = planDriftWatches(wanted, this.watches.keys(), limit);
    for (const [cluster, w] of this.watches) {
      const kinds = plan.get(cluster);
      // A member whose client was rebuilt (registration changed) gets a new watch on the new client.
      if (kinds && this.members.get(cluster)?.client === w.client) {
        if (kinds.join() !== w.kinds.join()) void w.setKinds(kinds);
        continue;
      }
      this.watches.delete(cluster);
      void w.stop();
    }
    for (const [cluster, kinds] of plan) {
      const m = this.members.get(cluster);
      if (this.watches.has(cluster) || !m?.client) continue;
      const w = new MemberWatch(cluster, m.client, this.log, [FIELD_MANAGER], (why) => {
        this.log.debug('member drift signal', { cluster, why });
        // Debounced: a burst of changes (a node replaced, a DaemonSet rolling) costs one re-probe.
        for (const fc of this.featureConfigs.list()) this.queue.addAfter(memberWork(fc.metadata.name, cluster), 1000);
      }, kinds);
      this.watches.set(cluster, w);
      w.start();
    }
    const unwatched = [...wanted.values()].filter((k) => k.length).length - plan.size;
    if (unwatched > 0 && unwatched !== this.lastUnwatched) {
      this.log.info('drift watch limit reached; other members rely on the periodic resync', { watched: plan.size, unwatched, limit, resyncSeconds: this.opts.resyncMs / 1000 });
    }
    this.lastUnwatched = unwatched;
  }

  private lastUnwatched = 0;

  private async handle(item: WorkItem): Promise<WorkResult | void> {
    const stop = this.metrics.startTimer('fedfeat_reconcile_duration_seconds', { kind: item.kind });
    try {
      switch (item.kind) {
        case 'member':
          return await reconcileMemberItem(this.parts, item.featureConfig, item.cluster);
        case 'status':
          return await writeStatus(this.parts, item.featureConfig);
        case 'finalize':
          return await finalize(this.parts, item.featureConfig);
      }
    } finally {
      stop();
      this.metrics.set('fedfeat_workqueue_depth', {}, this.queue.depth);
    }
  }
}
