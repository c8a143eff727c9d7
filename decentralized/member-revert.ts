// Undoing a FeatureConfig's changes on one member in decentralized mode, as
// its deletionPolicy says: the agent does it on its own member when the fleet
// deletes a FeatureConfig (there is no host finalizer), and `fedfeat unjoin
// --decentralized` does it when the member leaves (the FeatureConfigs stop
// applying there, though the fleet keeps them). Revert runs the tactic's own
// revert, which removes only what fedfeat installed; Retain leaves the
// changes and says so. A tactic another remaining enforcing FeatureConfig
// still asks for on the member is left alone (reconcile-finalize.ts's rule).
import { deletionPolicyOf, desiredFeatures, type DesiredFeature, type FeatureConfig } from '../api/featureconfig.js';
import { matchesSelector } from '../api/label-selector.js';
import type { Logger } from '../controller/logger.js';
import { stillRequiredBy } from '../controller/reconcile-finalize.js';
import type { KubeClient } from '../kube-client/client.js';
import type { ReconfiguratorRegistry } from '../reconfigurators/registry.js';
import type { ProbeOptions } from '../reconfigurators/types.js';

export interface RevertStep {
  feature: DesiredFeature;
  /** revert: run the tactic's revert; retain: deletionPolicy Retain; required: another FeatureConfig still wants it. */
  action: 'revert' | 'retain' | 'required';
  requiredBy?: string[];
}

/**
 * What to do on this member for a FeatureConfig that no longer applies here (pure). Nothing when it never
 * selected the member (its tactics never ran here; `selected` overrides the label match when the caller knows
 * better). `remaining`: the FeatureConfigs that still apply.
 */
export function revertSteps(
  fc: FeatureConfig, labels: Record<string, string>, remaining: FeatureConfig[], registry: Pick<ReconfiguratorRegistry, 'for'>,
  selected = matchesSelector(fc.spec.clusterSelector, labels),
): RevertStep[] {
  if (!selected) return [];
  const policy = deletionPolicyOf(fc.spec);
  return desiredFeatures(fc.spec).map((feature): RevertStep => {
    if (policy === 'Retain') return { feature, action: 'retain' };
    const others = stillRequiredBy(fc, registry.for(feature.name).features, labels, remaining);
    return others.length ? { feature, action: 'required', requiredBy: others.map((o) => o.metadata.name) } : { feature, action: 'revert' };
  });
}

export interface MemberRevertDeps {
  member: string;
  client: KubeClient;
  labels: Record<string, string>;
  /** The member's tactic settings (KubeFedCluster annotations in host mode). */
  annotations: Record<string, string>;
  registry: ReconfiguratorRegistry;
  log: Logger;
  signal: AbortSignal;
  options: ProbeOptions;
  /** An Event (or a CLI line) about `fc` on this member. */
  event(fc: FeatureConfig, type: 'Normal' | 'Warning', reason: string, message: string, feature?: string): void;
}

/** Runs the steps (default: revertSteps); returns what went wrong (empty: done, the caller may forget the FeatureConfig). */
export async function revertOnMember(d: MemberRevertDeps, fc: FeatureConfig, remaining: FeatureConfig[], steps = revertSteps(fc, d.labels, remaining, d.registry)): Promise<string[]> {
  const problems: string[] = [];
  for (const step of steps) {
    const feature = step.feature.name;
    if (step.action === 'retain') {
      d.event(fc, 'Normal', 'Retained', 'deletionPolicy Retain: fedfeat leaves its changes on this member', feature);
      continue;
    }
    if (step.action === 'required') {
      d.event(fc, 'Normal', 'RevertSkipped', `still required by FeatureConfig ${step.requiredBy!.join(', ')}`, feature);
      continue;
    }
    try {
      const out = await d.registry.for(feature).revert({
        cluster: d.member, annotations: d.annotations, client: d.client, log: d.log.child({ cluster: d.member, feature }), signal: d.signal,
        options: d.options, now: () => new Date(), event: (type, reason, message) => d.event(fc, type, reason, message, feature),
      }, step.feature);
      d.event(fc, 'Normal', 'Reverted', out.message, feature);
    } catch (e) {
      d.event(fc, 'Warning', 'RevertFailed', (e as Error).message, feature);
      problems.push(`${feature}: ${(e as Error).message}`);
    }
  }
  return problems;
}
