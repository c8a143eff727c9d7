// Progressive rollout across members (pure): canaries first, at most
// maxConcurrentClusters reconfiguring at once, and a stop on the first
// member that ends Failed. Probing and inform mode never pass through here.
import type { FeatureConfigSpec } from '../api/featureconfig.js';
import { matchesSelector } from '../api/label-selector.js';

export interface RolloutMember {
  name: string;
  labels: Record<string, string>;
  /** Whether the feature being rolled out is Supported on it. */
  supported: boolean;
  reconfiguring: boolean;
  failed: boolean;
}

export type Gate = { allowed: true } | { allowed: false; reason: 'RolloutHalted' | 'WaitingForCanary' | 'RolloutLimit'; message: string };

export function rolloutGate(spec: FeatureConfigSpec, member: string, members: RolloutMember[]): Gate {
  const failed = members.filter((m) => m.failed && m.name !== member);
  if (failed.length) {
    return { allowed: false, reason: 'RolloutHalted', message: `rollout stopped: reconfiguration failed on ${failed.map((m) => m.name).join(', ')}; fix it or change the FeatureConfig` };
  }
  const canarySel = spec.rollout?.canarySelector;
  const me = members.find((m) => m.name === member);
  if (canarySel && Object.keys(canarySel.matchLabels ?? {}).length && me && !matchesSelector(canarySel, me.labels)) {
    const canaries = members.filter((m) => matchesSelector(canarySel, m.labels));
    const pending = canaries.filter((m) => !m.supported);
    if (pending.length) return { allowed: false, reason: 'WaitingForCanary', message: `waiting for canary members ${pending.map((m) => m.name).join(', ')}` };
  }
  const limit = spec.rollout?.maxConcurrentClusters ?? 1;
  const busy = members.filter((m) => m.reconfiguring && m.name !== member);
  if (busy.length >= limit) return { allowed: false, reason: 'RolloutLimit', message: `${busy.length} members already reconfiguring (maxConcurrentClusters ${limit}): ${busy.map((m) => m.name).join(', ')}` };
  return { allowed: true };
}
