// Which tactic's RBAC a feature needs, and the rules of a join (pure).
import type { FeatureName } from '../api/featureconfig.js';
import { CALICO_ACCESS } from './calico/access.js';
import { KUBELET_ACCESS } from './kubelet-config/access.js';
import { PODPRESET_ACCESS } from './podpreset/access.js';
import { COMMON_ACCESS, mergeAccess, type AccessLevel, type AccessRules, type TacticAccess } from './rbac.js';

export const FEATURES: readonly FeatureName[] = ['podpreset', 'cpumanagementpolicy', 'kubelet', 'networkpolicy'];

export const TACTIC_ACCESS: Record<FeatureName, TacticAccess> = {
  podpreset: PODPRESET_ACCESS,
  cpumanagementpolicy: KUBELET_ACCESS,
  kubelet: KUBELET_ACCESS,
  networkpolicy: CALICO_ACCESS,
};

/** The pieces a join grants: common first, then each tactic once, each at the access level (enforce includes inform). */
export function accessPieces(access: AccessLevel, features: readonly FeatureName[]): Array<{ name: string; rules: AccessRules }> {
  const tactics = [COMMON_ACCESS, ...new Set(features.map((f) => TACTIC_ACCESS[f]))];
  return tactics.map((t) => ({ name: t.name, rules: access === 'enforce' ? mergeAccess([t.inform, t.enforce]) : t.inform }));
}

/** Everything a join grants, as one set of rules. */
export function accessFor(access: AccessLevel, features: readonly FeatureName[]): AccessRules {
  return mergeAccess(accessPieces(access, features).map((p) => p.rules));
}
