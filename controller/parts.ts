// What the controller's reconcilers share: the host client, caches, the work
// queue, the in-memory results, Events and options. One object, so each
// reconciler lives in its own file and takes only this.
import type { FeatureConfig } from '../api/featureconfig.js';
import type { KubeClient } from '../kube-client/client.js';
import type { ReconfiguratorRegistry } from '../reconfigurators/registry.js';
import type { PlacementOptions } from '../placement/controller.js';
import type { ProbeOptions } from '../reconfigurators/types.js';
import type { EventRecorder } from './events.js';
import type { Informer } from './informer.js';
import type { Logger } from './logger.js';
import type { HealthOptions, Member, MemberRegistry } from './member-registry.js';
import type { ObservedChange } from './member-watch.js';
import type { Metrics } from './metrics.js';
import type { MemberStatusWriter } from './member-status-writer.js';
import type { MemberResults } from './results.js';
import type { WorkItem } from './work-items.js';
import type { WorkQueue } from './workqueue.js';

export const FIELD_MANAGER = 'fedfeat-controller';

export interface ControllerOptions {
  workers: number;
  resyncMs: number;
  verifyTimeoutMs: number;
  health: HealthOptions;
  probe: ProbeOptions;
  eventNamespace: string;
  /** Watch members for drift (nodes, DaemonSets, CRDs: the kinds their requested features depend on). */
  driftWatches: boolean;
  /** Most members with drift watches (default 300); the others are re-probed by the periodic resync only. */
  driftWatchLimit?: number;
  /** FeaturePlacement loop (placement/): its options, or false to run without it. */
  placement?: Partial<PlacementOptions> | false;
}

export interface ControllerParts {
  host: KubeClient;
  registry: ReconfiguratorRegistry;
  log: Logger;
  metrics: Metrics;
  opts: ControllerOptions;
  featureConfigs: Informer<FeatureConfig>;
  members: MemberRegistry;
  queue: WorkQueue<WorkItem>;
  events: EventRecorder;
  results: MemberResults;
  /** Each member's results as its own ClusterFeatureStatus object on the host. */
  memberStatus: MemberStatusWriter;
  signal: AbortSignal;
  now(): Date;
  /** Registered members the FeatureConfig's clusterSelector picks, by name. */
  selectedMembers(fc: FeatureConfig): Member[];
  /** Changes to a member by other managers, seen by its drift watch. */
  recentChanges(cluster: string): ObservedChange[];
}
