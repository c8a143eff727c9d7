// The latest per-member result of every FeatureConfig, kept in memory between
// reconciles (the status writer and the rollout gate read it), and the
// rollout view one feature's gate decides on (pure).
import type { ClusterFeatureStatus } from '../api/featureconfig.js';
import type { RolloutMember } from './rollout.js';

/** Probe reasons meaning the tactic has nothing to act on in this member. */
const NOTHING_TO_DO = new Set(['NoKubeletToProbe']);

export class MemberResults {
  private readonly byFeatureConfig = new Map<string, Map<string, ClusterFeatureStatus>>();

  of(featureConfig: string): Map<string, ClusterFeatureStatus> {
    let m = this.byFeatureConfig.get(featureConfig);
    if (!m) this.byFeatureConfig.set(featureConfig, (m = new Map()));
    return m;
  }

  drop(featureConfig: string): void {
    this.byFeatureConfig.delete(featureConfig);
  }
}

/** Per feature: a failing Calico install halts the Calico rollout, not the PodPreset one (pure). */
export function rolloutView(
  selected: Array<{ name: string; labels: Record<string, string> }>,
  results: Map<string, ClusterFeatureStatus>,
  feature: string,
): RolloutMember[] {
  return selected.map(({ name, labels }) => {
    const mine = results.get(name)?.features.filter((f) => f.name === feature) ?? [];
    const states = mine.map((f) => f.state);
    return {
      name,
      labels,
      // A canary where the feature has nothing to act on (no real kubelet) cannot go first: it does not hold others back.
      supported: mine.length > 0 && mine.every((f) => f.state === 'Supported' || NOTHING_TO_DO.has(f.reason ?? '')),
      reconfiguring: states.includes('Reconfiguring'),
      failed: states.includes('Failed'),
    };
  });
}
