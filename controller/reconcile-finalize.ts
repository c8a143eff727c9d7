// The finalizer: added before fedfeat may change any member, so deletion can
// clean up; and the work item "finalize": on delete, Revert undoes fedfeat's
// changes on every selected member (unless another enforcing FeatureConfig
// still wants the feature there), Retain leaves them; then the finalizer goes.
import {
  deletionPolicyOf, desiredFeatures, modeOf, FEATURECONFIG_API_VERSION, FEATURECONFIG_FINALIZER, FEATURECONFIG_PLURAL,
  type DesiredFeature, type FeatureConfig, type FeatureName,
} from '../api/featureconfig.js';
import { cfsPath, featureConfigSelector } from '../api/cluster-feature-status.js';
import { matchesSelector } from '../api/label-selector.js';
import { KubeApiError } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import type { ControllerParts } from './parts.js';
import type { WorkResult } from './workqueue.js';

const fcPath = (name: string) => resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name);

/**
 * The other FeatureConfigs that still need a tactic on a member (pure): alive, enforcing, selecting the member,
 * and asking for any feature the same tactic provides. Undoing it there would only start a tug of war.
 */
export function stillRequiredBy(
  deleting: FeatureConfig, tacticFeatures: readonly FeatureName[], memberLabels: Record<string, string>, all: FeatureConfig[],
): FeatureConfig[] {
  return all.filter((o) => o.metadata.uid !== deleting.metadata.uid
    && !o.metadata.deletionTimestamp
    && modeOf(o.spec) === 'enforce'
    && matchesSelector(o.spec.clusterSelector, memberLabels)
    && desiredFeatures(o.spec).some((f) => tacticFeatures.includes(f.name)));
}

/** Adds the finalizer; false means another writer changed the object meanwhile: retry shortly. */
export async function ensureFinalizer(p: ControllerParts, fc: FeatureConfig): Promise<boolean> {
  const finalizers = fc.metadata.finalizers ?? [];
  if (finalizers.includes(FEATURECONFIG_FINALIZER)) return true;
  try {
    // resourceVersion makes this a compare-and-swap: no other writer's finalizer is lost.
    await p.host.mergePatch(fcPath(fc.metadata.name), { metadata: { finalizers: [...finalizers, FEATURECONFIG_FINALIZER], resourceVersion: fc.metadata.resourceVersion } });
    return true;
  } catch (e) {
    if (e instanceof KubeApiError && e.statusCode === 409) return false; // changed meanwhile (often: a sibling worker added it)
    throw e;
  }
}

export async function finalize(p: ControllerParts, fcName: string): Promise<WorkResult | void> {
  const fc = p.featureConfigs.get(fcName);
  if (!fc?.metadata.deletionTimestamp || !(fc.metadata.finalizers ?? []).includes(FEATURECONFIG_FINALIZER)) return;
  // A member reconcile still running could re-create what revert removes: let it finish first
  // (new ones do not start: they see the deletionTimestamp).
  const busy = p.queue.processingWhere((w) => w.kind === 'member' && w.featureConfig === fcName);
  if (busy.length) {
    p.log.info('waiting for member reconciles before finalizing', { featureconfig: fcName, busy: busy.length });
    return { requeueAfterMs: 1000 };
  }
  const policy = deletionPolicyOf(fc.spec);
  const problems: string[] = [];
  await Promise.all(p.selectedMembers(fc).map(async (member) => {
    const cluster = member.name;
    if (policy === 'Retain') {
      p.events.record(fc, { type: 'Normal', reason: 'Retained', cluster, message: 'deletionPolicy Retain: fedfeat leaves its changes on this member' });
      return;
    }
    if (!member.client || !member.ready) {
      problems.push(`${cluster}: not reachable`);
      p.events.record(fc, { type: 'Warning', reason: 'RevertBlocked', cluster, message: `cannot revert while the member is unreachable: ${member.lastError ?? member.configError ?? 'not healthy'}` });
      return;
    }
    // Tactics of one member are reverted side by side: each owns its own objects (and its node pods use the host
    // network), so deletion takes as long as the slowest tactic, not the sum of them all. Features of one tactic
    // (cpumanagementpolicy and kubelet both restart kubelets) stay one after another.
    const byTactic = groupBy(desiredFeatures(fc.spec), (f) => p.registry.for(f.name));
    await Promise.all([...byTactic.values()].map(async (features) => {
      for (const feature of features) {
        const problem = await revertFeature(p, fc, member.name, feature);
        if (problem) problems.push(problem);
      }
    }));
  }));
  if (problems.length) throw new Error(`revert incomplete, finalizer kept: ${problems.join('; ')}`);
  // Its per-member objects in one request: after the FeatureConfig is gone the garbage collector would
  // delete thousands of them one by one (minutes at 3,500 members). Owner references still catch any
  // write that lands after this.
  await p.host.delete(cfsPath(), { query: { labelSelector: featureConfigSelector(fcName) }, timeoutMs: 120_000 })
    .catch((e: Error) => p.log.warn('could not delete ClusterFeatureStatus objects; the garbage collector will', { featureconfig: fcName, error: e.message }));
  try {
    await p.host.mergePatch(fcPath(fcName), {
      metadata: { finalizers: (fc.metadata.finalizers ?? []).filter((f) => f !== FEATURECONFIG_FINALIZER), resourceVersion: fc.metadata.resourceVersion },
    });
  } catch (e) {
    if (!(e instanceof KubeApiError && e.statusCode === 404)) throw e;
  }
  p.results.drop(fcName);
  p.log.info('featureconfig finalized', { featureconfig: fcName, deletionPolicy: policy });
}

/** Items grouped by a key, in first-seen order (pure). */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = out.get(k);
    if (group) group.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Reverts one feature on one member; returns what went wrong, if anything. */
async function revertFeature(p: ControllerParts, fc: FeatureConfig, cluster: string, feature: DesiredFeature): Promise<string | undefined> {
  const member = p.members.get(cluster)!;
  const r = p.registry.for(feature.name);
  const others = stillRequiredBy(fc, r.features, member.labels, p.featureConfigs.list());
  if (others.length) {
    p.events.record(fc, { type: 'Normal', reason: 'RevertSkipped', cluster, feature: feature.name, message: `still required by FeatureConfig ${others.map((o) => o.metadata.name).join(', ')}` });
    return undefined;
  }
  try {
    const out = await r.revert({
      cluster, annotations: member.annotations, client: member.client!, log: p.log.child({ cluster }), signal: p.signal, options: p.opts.probe, now: p.now,
      event: (type, reason, message) => p.events.record(fc, { type, reason, message, cluster, feature: feature.name }),
    }, feature);
    p.events.record(fc, { type: 'Normal', reason: 'Reverted', cluster, feature: feature.name, message: out.message });
    return undefined;
  } catch (e) {
    p.events.record(fc, { type: 'Warning', reason: 'RevertFailed', cluster, feature: feature.name, message: (e as Error).message });
    return `${cluster}/${feature.name}: ${(e as Error).message}`;
  }
}
