// The host control loop: informers on FeatureConfigs, KubeFedClusters and
// their Secrets; one work queue keyed per (FeatureConfig, member) so every
// member is worked on concurrently and a slow or dead member delays no other;
// status written through the status subresource with Server-Side Apply.
import {
  deletionPolicyOf, desiredFeatures, modeOf, FEATURECONFIG_API_VERSION, FEATURECONFIG_FINALIZER, FEATURECONFIG_PLURAL,
  type ClusterFeatureStatus, type FeatureConfig,
} from '../api/featureconfig.js';
import { matchesSelector } from '../api/label-selector.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../api/kubefed.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import type { ReconfiguratorRegistry } from '../reconfigurators/registry.js';
import { TacticNotImplemented, type ProbeOptions } from '../reconfigurators/types.js';
import { EventRecorder } from './events.js';
import { Informer } from './informer.js';
import type { Logger } from './logger.js';
import { MemberRegistry, DEFAULT_HEALTH, type HealthOptions } from './member-registry.js';
import { MemberWatch } from './member-watch.js';
import type { Metrics } from './metrics.js';
import { reconcileMember } from './reconcile-member.js';
import type { RolloutMember } from './rollout.js';
import { aggregateStatus, sameStatus } from './status.js';
import { WorkQueue, type WorkResult } from './workqueue.js';

export const FIELD_MANAGER = 'fedfeat-controller';

export interface ControllerOptions {
  workers: number;
  resyncMs: number;
  verifyTimeoutMs: number;
  health: HealthOptions;
  probe: ProbeOptions;
  eventNamespace: string;
  /** Watch members for drift (nodes, DaemonSets, CRDs). */
  driftWatches: boolean;
}

export const DEFAULT_OPTIONS: ControllerOptions = {
  workers: 16,
  resyncMs: 60_000,
  verifyTimeoutMs: 300_000,
  health: DEFAULT_HEALTH,
  probe: { nodeProbeConcurrency: 8, requestTimeoutMs: 10_000 },
  eventNamespace: 'default',
  driftWatches: true,
};

type Secret = KubeObject & { data?: Record<string, string> };

const memberKey = (fc: string, cluster: string) => `member:${fc}:${cluster}`;
/** Probe reasons meaning the tactic has nothing to act on in this member. */
const NOTHING_TO_DO = new Set(['NoKubeletToProbe']);
const statusKey = (fc: string) => `status:${fc}`;
const finalizeKey = (fc: string) => `finalize:${fc}`;

export class FeatureController {
  readonly featureConfigs: Informer<FeatureConfig>;
  readonly members: MemberRegistry;
  readonly queue: WorkQueue;
  readonly events: EventRecorder;
  private readonly clusters: Informer<KubeFedCluster>;
  private readonly secrets: Informer<Secret>;
  private readonly results = new Map<string, Map<string, ClusterFeatureStatus>>();
  private readonly watches = new Map<string, MemberWatch>();
  private readonly abort = new AbortController();

  constructor(
    private readonly host: KubeClient,
    private readonly registry: ReconfiguratorRegistry,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly opts: ControllerOptions = DEFAULT_OPTIONS,
  ) {
    this.featureConfigs = new Informer<FeatureConfig>(host, resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL), log.child({ informer: 'featureconfigs' }));
    this.clusters = new Informer<KubeFedCluster>(host, resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE), log.child({ informer: 'kubefedclusters' }));
    this.secrets = new Informer<Secret>(host, resourcePath('v1', 'secrets', KUBEFED_NAMESPACE), log.child({ informer: 'secrets' }));
    this.members = new MemberRegistry(host, this.clusters, this.secrets, log, opts.health, FIELD_MANAGER);
    this.events = new EventRecorder(host, log, { namespace: opts.eventNamespace, component: 'fedfeat-controller', burst: 25, refillPerMinute: 12 });
    this.queue = new WorkQueue((key) => this.handle(key), {
      concurrency: opts.workers,
      baseBackoffMs: 1000,
      maxBackoffMs: 120_000,
      onError: (key, err, retry) => {
        this.metrics.inc('fedfeat_reconcile_errors_total', { kind: key.split(':')[0]! });
        this.log.warn('reconcile failed; retrying', { key, error: err.message, retryInMs: retry });
      },
    });

    this.featureConfigs.addHandlers({
      onAdd: (fc) => this.enqueueFeatureConfig(fc),
      onUpdate: (a, b) => {
        if (a.metadata.generation !== b.metadata.generation || a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp) this.enqueueFeatureConfig(b);
      },
      onDelete: (fc) => this.results.delete(fc.metadata.name),
    });
    this.members.onChange((cluster, why) => {
      this.log.debug('member changed', { cluster, why });
      this.syncWatch(cluster);
      for (const fc of this.featureConfigs.list()) this.queue.add(memberKey(fc.metadata.name, cluster));
    });
  }

  async start(): Promise<void> {
    for (const inf of [this.featureConfigs, this.clusters, this.secrets]) inf.start();
    await Promise.all([this.featureConfigs.waitForSync(), this.clusters.waitForSync(), this.secrets.waitForSync()]);
    this.members.start();
    this.queue.start();
    this.log.info('controller started', { featureconfigs: this.featureConfigs.list().length, members: this.members.list().length });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.queue.shutdown();
    this.members.stop();
    await Promise.all([...this.watches.values()].map((w) => w.stop()));
    await Promise.all([this.featureConfigs, this.clusters, this.secrets].map((i) => i.stop()));
  }

  synced(): boolean {
    return this.featureConfigs.hasSynced() && this.clusters.hasSynced() && this.secrets.hasSynced();
  }

  private enqueueFeatureConfig(fc: FeatureConfig): void {
    const name = fc.metadata.name;
    if (fc.metadata.deletionTimestamp) return this.queue.add(finalizeKey(name));
    for (const m of this.members.list()) this.queue.add(memberKey(name, m.name));
    this.queue.add(statusKey(name));
  }

  private syncWatch(cluster: string): void {
    if (!this.opts.driftWatches) return;
    const m = this.members.get(cluster);
    const existing = this.watches.get(cluster);
    if (m?.client && m.ready) {
      if (existing) return;
      const w = new MemberWatch(cluster, m.client, this.log, [FIELD_MANAGER], (why) => {
        this.log.debug('member drift signal', { cluster, why });
        // Debounced: a burst of changes (a node replaced, a DaemonSet rolling) costs one re-probe.
        for (const fc of this.featureConfigs.list()) this.queue.addAfter(memberKey(fc.metadata.name, cluster), 1000);
      });
      this.watches.set(cluster, w);
      w.start();
    } else if (existing && (!m || !m.ready)) {
      this.watches.delete(cluster);
      void existing.stop();
    }
  }

  private async handle(key: string): Promise<WorkResult | void> {
    const [kind, fcName, cluster] = key.split(':') as [string, string, string | undefined];
    const stop = this.metrics.startTimer('fedfeat_reconcile_duration_seconds', { kind });
    try {
      if (kind === 'member') return await this.reconcileMemberKey(fcName, cluster!);
      if (kind === 'status') return await this.writeStatus(fcName);
      if (kind === 'finalize') return await this.finalize(fcName);
    } finally {
      stop();
      this.metrics.set('fedfeat_workqueue_depth', {}, this.queue.depth);
    }
  }

  selectedMembers(fc: FeatureConfig): string[] {
    return this.members.list().filter((m) => matchesSelector(fc.spec.clusterSelector, m.labels)).map((m) => m.name).sort();
  }

  private async reconcileMemberKey(fcName: string, cluster: string): Promise<WorkResult | void> {
    const fc = this.featureConfigs.get(fcName);
    if (!fc || fc.metadata.deletionTimestamp) return;
    if (!(await this.ensureFinalizer(fc))) return { requeueAfterMs: 200 }; // another worker is adding it
    const member = this.members.get(cluster);
    const results = this.resultsOf(fcName);
    if (!member || !matchesSelector(fc.spec.clusterSelector, member.labels)) {
      if (results.delete(cluster)) this.queue.add(statusKey(fcName));
      return;
    }
    let reconfigured = false;
    const result = await reconcileMember(fc, member, results.get(cluster), {
      registry: this.registry,
      log: this.log,
      probeOptions: this.opts.probe,
      verifyTimeoutMs: this.opts.verifyTimeoutMs,
      event: (f, e) => this.events.record(f, e),
      rolloutView: (f, feature) => this.rolloutView(f, feature),
      publish: (f, r) => {
        reconfigured = true;
        this.resultsOf(f.metadata.name).set(r.name, r);
        this.queue.add(statusKey(f.metadata.name));
      },
      recentChanges: (c) => this.watches.get(c)?.recentForeignChanges() ?? [],
      signal: this.abort.signal,
    });
    // The FeatureConfig may have changed while we probed; the newer generation's reconcile is queued.
    if (this.featureConfigs.get(fcName)?.metadata.uid !== fc.metadata.uid) return;
    results.set(cluster, result);
    for (const f of result.features) this.metrics.setFeatureState(fcName, cluster, f.name, f.state);
    this.queue.add(statusKey(fcName));
    // A rollout slot is free again: members waiting for it go now rather than at their next resync.
    if (reconfigured) for (const other of this.selectedMembers(fc)) if (other !== cluster) this.queue.add(memberKey(fcName, other));
    const waiting = result.features.some((f) => f.reason === 'RolloutLimit' || f.reason === 'WaitingForCanary');
    // Periodic resync, jittered so members do not probe in lockstep; sooner while waiting for a rollout slot.
    return { requeueAfterMs: (waiting ? Math.min(10_000, this.opts.resyncMs) : this.opts.resyncMs) * (0.9 + Math.random() * 0.2) };
  }

  private resultsOf(fcName: string): Map<string, ClusterFeatureStatus> {
    let m = this.results.get(fcName);
    if (!m) this.results.set(fcName, (m = new Map()));
    return m;
  }

  /** Per feature: a failing Calico install halts the Calico rollout, not the PodPreset one. */
  private rolloutView(fc: FeatureConfig, feature: string): RolloutMember[] {
    const results = this.resultsOf(fc.metadata.name);
    return this.selectedMembers(fc).map((name) => {
      const r = results.get(name);
      const mine = r?.features.filter((f) => f.name === feature) ?? [];
      const states = mine.map((f) => f.state);
      return {
        name,
        labels: this.members.get(name)?.labels ?? {},
        // A canary where the feature has nothing to act on (no real kubelet) cannot go first: it does not hold others back.
        supported: mine.length > 0 && mine.every((f) => f.state === 'Supported' || NOTHING_TO_DO.has(f.reason ?? '')),
        reconfiguring: states.includes('Reconfiguring'),
        failed: states.includes('Failed'),
      };
    });
  }

  private async writeStatus(fcName: string): Promise<void> {
    const fc = this.featureConfigs.get(fcName);
    if (!fc || fc.metadata.deletionTimestamp) return;
    const status = aggregateStatus(fc.metadata.generation ?? 0, this.selectedMembers(fc), this.resultsOf(fcName), fc.status, new Date().toISOString());
    if (sameStatus(fc.status, status)) return;
    const prevReady = fc.status?.conditions?.find((c) => c.type === 'Ready');
    const ready = status.conditions!.find((c) => c.type === 'Ready')!;
    await this.host.apply(`${resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, fcName)}/status`, {
      apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', metadata: { name: fcName }, status,
    } as KubeObject, FIELD_MANAGER);
    if (ready.status === 'True' && prevReady?.status !== 'True') {
      this.events.record(fc, { type: 'Normal', reason: 'Ready', message: `all ${status.clusters?.length ?? 0} selected members support every feature` });
    }
  }

  /** Adds the finalizer before fedfeat may change any member, so deletion can clean up. False: retry shortly. */
  private async ensureFinalizer(fc: FeatureConfig): Promise<boolean> {
    const finalizers = fc.metadata.finalizers ?? [];
    if (finalizers.includes(FEATURECONFIG_FINALIZER)) return true;
    try {
      // resourceVersion makes this a compare-and-swap: no other writer's finalizer is lost.
      await this.host.mergePatch(resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, fc.metadata.name), {
        metadata: { finalizers: [...finalizers, FEATURECONFIG_FINALIZER], resourceVersion: fc.metadata.resourceVersion },
      });
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && e.statusCode === 409) return false; // changed meanwhile (often: a sibling worker added it)
      throw e;
    }
  }

  /** On delete: Revert undoes fedfeat's changes on every selected member, Retain leaves them; then the finalizer goes. */
  private async finalize(fcName: string): Promise<WorkResult | void> {
    const fc = this.featureConfigs.get(fcName);
    if (!fc?.metadata.deletionTimestamp || !(fc.metadata.finalizers ?? []).includes(FEATURECONFIG_FINALIZER)) return;
    // A member reconcile still running could re-create what revert removes: let it finish first
    // (new ones do not start: they see the deletionTimestamp).
    const busy = this.queue.processingWithPrefix(memberKey(fcName, ''));
    if (busy.length) {
      this.log.info('waiting for member reconciles before finalizing', { featureconfig: fcName, busy: busy.length });
      return { requeueAfterMs: 1000 };
    }
    const policy = deletionPolicyOf(fc.spec);
    const problems: string[] = [];
    await Promise.all(this.selectedMembers(fc).map(async (cluster) => {
      if (policy === 'Retain') {
        this.events.record(fc, { type: 'Normal', reason: 'Retained', cluster, message: 'deletionPolicy Retain: fedfeat leaves its changes on this member' });
        return;
      }
      const member = this.members.get(cluster);
      if (!member?.client || !member.ready) {
        problems.push(`${cluster}: not reachable`);
        this.events.record(fc, { type: 'Warning', reason: 'RevertBlocked', cluster, message: `cannot revert while the member is unreachable: ${member?.lastError ?? 'unregistered'}` });
        return;
      }
      for (const feature of desiredFeatures(fc.spec)) {
        const r = this.registry.for(feature.name);
        // Another FeatureConfig still wants this feature here: undoing it would only start a tug of war.
        const others = this.featureConfigs.list().filter((o) => o.metadata.uid !== fc.metadata.uid && !o.metadata.deletionTimestamp && modeOf(o.spec) === 'enforce'
          && matchesSelector(o.spec.clusterSelector, member.labels) && desiredFeatures(o.spec).some((f) => r.features.includes(f.name)));
        if (others.length) {
          this.events.record(fc, { type: 'Normal', reason: 'RevertSkipped', cluster, feature: feature.name, message: `still required by FeatureConfig ${others.map((o) => o.metadata.name).join(', ')}` });
          continue;
        }
        try {
          const out = await r.revert({
            cluster, annotations: member.annotations, client: member.client, log: this.log.child({ cluster }), signal: this.abort.signal, options: this.opts.probe,
            event: (type, reason, message) => this.events.record(fc, { type, reason, message, cluster, feature: feature.name }),
          }, feature);
          this.events.record(fc, { type: 'Normal', reason: 'Reverted', cluster, feature: feature.name, message: out.message });
        } catch (e) {
          if (e instanceof TacticNotImplemented) {
            // The tactic can make no change yet, so it made none: nothing to undo.
            this.events.record(fc, { type: 'Normal', reason: 'Reverted', cluster, feature: feature.name, message: `nothing to revert: ${r.name} has made no change on members (${e.issue})` });
          } else {
            problems.push(`${cluster}/${feature.name}: ${(e as Error).message}`);
            this.events.record(fc, { type: 'Warning', reason: 'RevertFailed', cluster, feature: feature.name, message: (e as Error).message });
          }
        }
      }
    }));
    if (problems.length) throw new Error(`revert incomplete, finalizer kept: ${problems.join('; ')}`);
    try {
      await this.host.mergePatch(resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, fcName), {
        metadata: { finalizers: (fc.metadata.finalizers ?? []).filter((f) => f !== FEATURECONFIG_FINALIZER), resourceVersion: fc.metadata.resourceVersion },
      });
    } catch (e) {
      if (!(e instanceof KubeApiError && e.statusCode === 404)) throw e;
    }
    this.results.delete(fcName);
    this.log.info('featureconfig finalized', { featureconfig: fcName, deletionPolicy: policy });
  }

  /** Per-member API requests so far (host excluded), for load figures. */
  memberRequestCounts(): Record<string, number> {
    return Object.fromEntries(this.members.list().map((m) => [m.name, m.client?.stats.requests ?? 0]));
  }
}
