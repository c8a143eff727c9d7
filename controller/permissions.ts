// A member that refuses fedfeat a request (HTTP 403) or was joined without
// the access a FeatureConfig needs: turned into a per-feature status that
// names what is missing, instead of a generic failure (pure).
import type { DesiredFeature, FeatureStatus } from '../api/featureconfig.js';
import { KubeApiError } from '../kube-client/client.js';
import { TACTIC_ACCESS } from '../reconfigurators/access.js';
import { describeRequest, requestAttributes, type AccessLevel } from '../reconfigurators/rbac.js';
import type { FeatureName } from '../api/featureconfig.js';

export const INSUFFICIENT_PERMISSIONS = 'InsufficientPermissions';
export const INFORM_ACCESS_ONLY = 'InformAccessOnly';
export const FEATURE_NOT_JOINED = 'FeatureNotJoined';
/** Reasons that get a Warning Event of their own name when a feature enters them. */
export const ACCESS_REASONS = new Set([INSUFFICIENT_PERMISSIONS, INFORM_ACCESS_ONLY, FEATURE_NOT_JOINED]);

/** The 403 in an error (or its cause chain), if any. */
export function forbiddenIn(e: unknown): KubeApiError | undefined {
  for (let x: unknown = e, depth = 0; x && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    if (x instanceof KubeApiError && x.statusCode === 403) return x;
  }
  return undefined;
}

const rejoin = (cluster: string, access: AccessLevel, feature: FeatureName) => `fedfeat join ${cluster} --access ${access} --features ${feature}`;

/** The status of a feature whose request the member refused: what was refused, and how to grant it. */
export function insufficientPermissions(
  e: KubeApiError, cluster: string, feature: FeatureName, step: 'probe' | 'reconfigure',
): Omit<FeatureStatus, 'lastTransitionTime'> {
  const refused = describeRequest(requestAttributes(e.method, e.path));
  const access: AccessLevel = step === 'probe' ? 'inform' : 'enforce';
  return {
    name: feature,
    state: step === 'probe' ? 'Unknown' : 'Failed',
    reason: INSUFFICIENT_PERMISSIONS,
    message: `member ${cluster} refused fedfeat's ${step} of ${feature}: ${refused} is not allowed (${e.reason.slice(0, 300)}); ` +
      `grant it with: ${rejoin(cluster, access, feature)} (plus the member's other features)`,
  };
}

/**
 * Whether a member joined with `fedfeat join` may be changed for this feature; checked before any change.
 * Members registered otherwise (no access label) are not judged here: their refusals are reported as they come.
 */
export function joinedAccessProblem(
  joined: { access: AccessLevel; features: FeatureName[] } | undefined, cluster: string, feature: DesiredFeature, probeMessage: string,
): Omit<FeatureStatus, 'lastTransitionTime'> | undefined {
  if (!joined) return undefined;
  if (joined.access === 'inform') {
    return {
      name: feature.name, state: 'Missing', reason: INFORM_ACCESS_ONLY,
      message: `${probeMessage}; member ${cluster} was joined with inform access, so fedfeat may not change it (nothing attempted): ${rejoin(cluster, 'enforce', feature.name)}`,
    };
  }
  const tactic = TACTIC_ACCESS[feature.name];
  if (!joined.features.some((f) => TACTIC_ACCESS[f] === tactic)) {
    return {
      name: feature.name, state: 'Missing', reason: FEATURE_NOT_JOINED,
      message: `${probeMessage}; member ${cluster} was joined for ${joined.features.join(', ') || 'no features'}, not ${feature.name} (nothing attempted): join it again with ${feature.name} added`,
    };
  }
  return undefined;
}
