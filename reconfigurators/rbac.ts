// What fedfeat may do on a member, as Kubernetes RBAC rules (pure). Each
// tactic declares the rules it needs next to its code (<tactic>/access.ts):
// `inform` for its probe (read only, plus the dry-run pod of the PodPreset
// probe), `enforce` for what its reconfigure and revert write, named by
// resourceNames wherever Kubernetes checks names. `fedfeat join` turns them
// into ClusterRoles and Roles; the same matcher tells which rule a request
// needs, so a refused request can be named and a test can compare the
// requests a tactic makes with its rules.

export type AccessLevel = 'inform' | 'enforce';
export const ACCESS_LEVELS: readonly AccessLevel[] = ['inform', 'enforce'];

/** rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Rules for the whole cluster (a ClusterRole) and per namespace (a Role in each). */
export interface AccessRules {
  cluster: PolicyRule[];
  namespaced: Record<string, PolicyRule[]>;
}

/** What one tactic needs: `inform` always, `enforce` in addition when the member is joined with enforce access. */
export interface TacticAccess {
  /** The tactic's name, as in the role names (e.g. podpreset). */
  name: string;
  inform: AccessRules;
  enforce: AccessRules;
}

/** fedfeat's own namespace for probe pods (dry runs): RBAC cannot tell a dry run from a create, so probes create only here. */
export const PROBE_NAMESPACE = 'fedfeat-probe';

/**
 * What every member needs, whatever its features: discovery and health, and reading the kinds the
 * controller's probes and drift watches read (Nodes, DaemonSets, CRDs).
 */
export const COMMON_ACCESS: TacticAccess = {
  name: 'common',
  inform: {
    cluster: [
      { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/version'], verbs: ['get'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch'] },
    ],
    namespaced: {},
  },
  enforce: { cluster: [], namespaced: {} },
};

/** The RBAC view of one request, as the API server's RequestInfo resolves it. */
export interface RequestAttributes {
  verb: string;
  /** Set for resource requests. */
  resource?: string;
  group?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Set for non-resource requests (discovery, /healthz). */
  path?: string;
}

/** Method + path (+ query) → what RBAC checks (pure; the rules of k8s.io/apiserver's RequestInfoFactory that fedfeat's requests touch). */
export function requestAttributes(method: string, fullPath: string, query: Record<string, unknown> = {}): RequestAttributes {
  const [pathPart, qs] = fullPath.split('?', 2);
  const path = pathPart!.replace(/\/+$/, '') || '/';
  const params = new URLSearchParams(qs ?? '');
  const watch = params.get('watch') === 'true' || query.watch === true || query.watch === 'true';
  const parts = path.split('/').filter(Boolean);
  const m = method.toUpperCase();
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(3);
  } else {
    return { verb: m.toLowerCase(), path };
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest.map(decodeURIComponent);
  if (resource === 'namespaces' && name) namespace = name;
  let verb: string;
  switch (m) {
    case 'GET':
    case 'HEAD':
      verb = name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
      break;
    case 'WATCH':
      verb = 'watch';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = m.toLowerCase();
  }
  return { verb, group, resource, ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) };
}

const has = (list: string[] | undefined, v: string) => !!list && (list.includes(v) || list.includes('*'));

/** Whether one rule allows the request (pure; RBAC's RuleAllows). */
export function ruleAllows(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (a.path !== undefined) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path!.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, a.group ?? '')) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  if (!(rule.resources ?? []).some((r) => r === '*' || r === combined || (r === `*/${a.subresource}` && a.subresource))) return false;
  if (rule.resourceNames?.length) return !!a.name && rule.resourceNames.includes(a.name);
  return true;
}

/** Whether the rules allow the request: cluster rules anywhere, namespaced rules in their namespace. */
export function accessAllows(rules: AccessRules, a: RequestAttributes): boolean {
  if (rules.cluster.some((r) => ruleAllows(r, a))) return true;
  return a.namespace !== undefined && (rules.namespaced[a.namespace] ?? []).some((r) => ruleAllows(r, a));
}

/** The rules of several tactics and levels as one (pure). */
export function mergeAccess(parts: AccessRules[]): AccessRules {
  const out: AccessRules = { cluster: [], namespaced: {} };
  for (const p of parts) {
    out.cluster.push(...p.cluster);
    for (const [ns, rules] of Object.entries(p.namespaced)) (out.namespaced[ns] ??= []).push(...rules);
  }
  return out;
}

/** "create pods in namespace fedfeat-probe", "get nodes/proxy node-1", "get /apis" (pure). */
export function describeRequest(a: RequestAttributes): string {
  if (a.path !== undefined) return `${a.verb} ${a.path}`;
  const res = `${a.subresource ? `${a.resource}/${a.subresource}` : a.resource}${a.group ? `.${a.group}` : ''}`;
  return `${a.verb} ${res}${a.name ? ` "${a.name}"` : ''}${a.namespace && a.resource !== 'namespaces' ? ` in namespace ${a.namespace}` : a.resource === 'namespaces' ? '' : ' (cluster-wide)'}`;
}

/**
 * Label prefix `fedfeat join` puts on what it creates on a member, one key per host ServiceAccount
 * (join.fedfeat.io/fedfeat-host: "true"). A tactic's namespace that carries one holds join's Role for that
 * tactic: revert empties it but leaves it in place.
 */
export const JOIN_LABEL_PREFIX = 'join.fedfeat.io/';
export const joinLabel = (serviceAccount: string) => `${JOIN_LABEL_PREFIX}${serviceAccount}`;

export const heldByJoin = (o: { metadata: { labels?: Record<string, string> } } | undefined): boolean =>
  Object.keys(o?.metadata.labels ?? {}).some((k) => k.startsWith(JOIN_LABEL_PREFIX));
