// What the controller's one work queue holds: typed items, one per kind of
// reconcile. The key only decides what counts as the same work.
export type WorkItem =
  /** Probe (and, in enforce mode, reconfigure) one member for one FeatureConfig. */
  | { kind: 'member'; featureConfig: string; cluster: string }
  /** Write one FeatureConfig's aggregated status. */
  | { kind: 'status'; featureConfig: string }
  /** Run one deleted FeatureConfig's deletionPolicy, then drop its finalizer. */
  | { kind: 'finalize'; featureConfig: string };

export const memberWork = (featureConfig: string, cluster: string): WorkItem => ({ kind: 'member', featureConfig, cluster });
export const statusWork = (featureConfig: string): WorkItem => ({ kind: 'status', featureConfig });
export const finalizeWork = (featureConfig: string): WorkItem => ({ kind: 'finalize', featureConfig });

export function workKey(w: WorkItem): string {
  return w.kind === 'member' ? `member/${w.featureConfig}/${w.cluster}` : `${w.kind}/${w.featureConfig}`;
}
