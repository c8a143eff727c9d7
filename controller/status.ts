// FeatureConfig status from per-member results (pure).
import type { AttentionItem, ClusterFeatureStatus, Condition, FeatureConfigStatus, FeatureStatus } from '../api/featureconfig.js';

/** Most member features listed in the FeatureConfig's status (the rest are counted, and in ClusterFeatureStatus objects). */
export const ATTENTION_LIMIT = 20;
const ATTENTION_ORDER = ['Failed', 'Unknown', 'Missing', 'Reconfiguring'] as const;

/** Keeps a feature's lastTransitionTime unless its state changed. */
export function withTransition(prev: FeatureStatus | undefined, next: Omit<FeatureStatus, 'lastTransitionTime'>, now: string): FeatureStatus {
  return { ...next, lastTransitionTime: prev && prev.state === next.state ? prev.lastTransitionTime ?? now : now };
}

function condition(prev: Condition[] | undefined, c: Omit<Condition, 'lastTransitionTime'>, now: string): Condition {
  const old = prev?.find((p) => p.type === c.type);
  return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now };
}

export function aggregateStatus(
  generation: number,
  selected: string[],
  results: Map<string, ClusterFeatureStatus>,
  prev: FeatureConfigStatus | undefined,
  now: string,
): FeatureConfigStatus {
  const clusters = selected.map((name) => results.get(name) ?? { name, features: [] as FeatureStatus[] }).sort((a, b) => a.name.localeCompare(b.name));
  const probed = clusters.filter((c) => c.features.length > 0);
  const readyClusters = clusters.filter((c) => c.features.length > 0 && c.features.every((f) => f.state === 'Supported'));
  const all = clusters.flatMap((c) => c.features.map((f) => ({ cluster: c.name, ...f })));
  const failed = all.filter((f) => f.state === 'Failed');
  const unknown = all.filter((f) => f.state === 'Unknown');
  const missing = all.filter((f) => f.state === 'Missing');
  const reconfiguring = all.filter((f) => f.state === 'Reconfiguring');
  const pending = clusters.length - probed.length;
  const list = (xs: typeof all) => xs.slice(0, 5).map((f) => `${f.cluster}/${f.name}: ${f.reason ?? f.state}`).join(', ') + (xs.length > 5 ? `, and ${xs.length - 5} more` : '');

  let ready: Omit<Condition, 'lastTransitionTime'>;
  if (!selected.length) ready = { type: 'Ready', status: 'False', reason: 'NoMemberSelected', message: 'no KubeFedCluster matches spec.clusterSelector' };
  else if (readyClusters.length === clusters.length) ready = { type: 'Ready', status: 'True', reason: 'AllFeaturesSupported', message: `all ${clusters.length} members support every feature` };
  else if (pending) ready = { type: 'Ready', status: 'Unknown', reason: 'Probing', message: `${pending}/${clusters.length} members not probed yet` };
  else ready = { type: 'Ready', status: 'False', reason: failed.length ? 'ReconfigurationFailed' : unknown.length ? 'MembersUnknown' : 'FeaturesMissing', message: `${readyClusters.length}/${clusters.length} members support every feature; ${list([...failed, ...unknown, ...missing, ...reconfiguring])}` };

  const progressing: Omit<Condition, 'lastTransitionTime'> = reconfiguring.length
    ? { type: 'Progressing', status: 'True', reason: 'Reconfiguring', message: list(reconfiguring) }
    : { type: 'Progressing', status: 'False', reason: 'Idle', message: 'no member is being reconfigured' };
  const degraded: Omit<Condition, 'lastTransitionTime'> = failed.length || unknown.length
    ? { type: 'Degraded', status: 'True', reason: failed.length ? 'ReconfigurationFailed' : 'MembersUnknown', message: list([...failed, ...unknown]) }
    : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: 'no member failed or unreachable' };

  const count = (state: FeatureStatus['state']) => all.filter((f) => f.state === state).length;
  const attention: AttentionItem[] = ATTENTION_ORDER.flatMap((state) => all.filter((f) => f.state === state))
    .slice(0, ATTENTION_LIMIT)
    .map((f) => ({ cluster: f.cluster, feature: f.name, state: f.state, ...(f.reason ? { reason: f.reason } : {}), ...(f.message ? { message: f.message.slice(0, 1024) } : {}) }));
  return {
    observedGeneration: generation,
    clusterSummary: `${readyClusters.length}/${clusters.length}`,
    conditions: [ready, progressing, degraded].map((c) => condition(prev?.conditions, { ...c, observedGeneration: generation }, now)),
    members: { selected: clusters.length, reported: probed.length, ready: readyClusters.length },
    featureCounts: { Supported: count('Supported'), Missing: missing.length, Reconfiguring: reconfiguring.length, Failed: failed.length, Unknown: unknown.length },
    attention,
  };
}

/** Equal apart from timestamps: nothing worth a status write. */
export function sameStatus(a: FeatureConfigStatus | undefined, b: FeatureConfigStatus): boolean {
  const strip = (s: FeatureConfigStatus | undefined) => JSON.stringify(s, (k, v: unknown) => (k === 'lastTransitionTime' ? undefined : v));
  return strip(a) === strip(b);
}
