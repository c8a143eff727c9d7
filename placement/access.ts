// The RBAC placement needs on a member (pure data, like the tactics'
// reconfigurators/<tactic>/access.ts): read every pod (capacity counts the
// requests of all non-terminated pods; Nodes are read by the common piece)
// and Deployments (one cluster-wide watch of those labelled as placed, rather
// than one per namespace; read only), and write Deployments only in the namespaces the member is joined for
// (`fedfeat join --placement-namespaces`), where join also creates and holds
// the namespace. Deployment names are the placements' own, unknown at join
// time, so they cannot be narrowed by resourceNames.
import type { AccessRules } from '../reconfigurators/rbac.js';

export const PLACEMENT_ACCESS_NAME = 'placement';
/** KubeFedCluster annotation: the namespaces a member was joined to run placed Deployments in (comma-separated). */
export const PLACEMENT_NAMESPACES_ANNOTATION = 'fedfeat.io/placement-namespaces';

export function placementAccess(namespaces: readonly string[]): AccessRules {
  return {
    cluster: [
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
    ],
    namespaced: Object.fromEntries(namespaces.map((ns) => [ns, [
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
    ]])),
  };
}
