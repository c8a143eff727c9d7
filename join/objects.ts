// What `fedfeat join` creates (pure): on the member a ServiceAccount, its
// long-lived token Secret, and a ClusterRole (and a Role per namespace) for
// each piece of access the chosen access level and features need, rendered
// from the rules each tactic declares next to its code; on the host the
// member's token Secret and its KubeFedCluster, which records the access
// level (label) and the features (annotation) the member was joined for.
import type { FeatureName } from '../api/featureconfig.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, type KubeFedCluster } from '../api/kubefed.js';
import type { KubeObject } from '../kube-client/client.js';
import { PLACEMENT_ACCESS_NAME, PLACEMENT_NAMESPACES_ANNOTATION, placementAccess } from '../placement/access.js';
import { accessPieces, FEATURES } from '../reconfigurators/access.js';
import { joinLabel, type AccessLevel, type PolicyRule } from '../reconfigurators/rbac.js';

/** The host's identity on every member by default (kubefedctl's is <member>-<host>). */
export const MEMBER_SERVICE_ACCOUNT = 'fedfeat-host';
/** Each host identity applies with its own field manager, so one join never takes another's fields. */
export const joinFieldManager = (serviceAccount: string) => `fedfeat-join-${serviceAccount}`;
export const tokenSecret = (serviceAccount: string) => `${serviceAccount}-token`;
/** KubeFedCluster label: the access level the member was joined with. */
export const ACCESS_LABEL = 'fedfeat.io/access';
/** KubeFedCluster annotation: the features the member was joined for (comma-separated). */
export const FEATURES_ANNOTATION = 'fedfeat.io/features';
/** Member namespace annotation: which host identity's join created it (its unjoin deletes it, unless something else uses it). */
export const CREATED_ANNOTATION = 'join.fedfeat.io/created-by';
/** Host Secret label naming its member. */
export const MEMBER_LABEL = 'fedfeat.io/member';

/** Features as `--features` spells them: the paper's three, plus kubelet (the same tactic as cpumanagementpolicy). */
export const DEFAULT_JOIN_FEATURES: FeatureName[] = ['podpreset', 'cpumanagementpolicy', 'networkpolicy'];

export interface JoinSpec {
  member: string;
  /** The ServiceAccount on the member (default fedfeat-host): another name joins the cluster a second time, apart. */
  serviceAccount?: string;
  access: AccessLevel;
  features: FeatureName[];
  apiEndpoint: string;
  /** PEM of the member's CA (absent: the system's trust store). */
  caPem?: string;
  /** Namespaces placed Deployments may run in on this member (FeaturePlacement); none: no placement access. */
  placementNamespaces?: string[];
  /** Extra KubeFedCluster labels and annotations (e.g. per-member tactic settings). */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function parseFeatures(list: string): FeatureName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(FEATURES as readonly string[]).includes(n));
  if (bad.length) throw new Error(`unknown feature ${bad.join(', ')} (known: ${FEATURES.join(', ')})`);
  return [...new Set(names)] as FeatureName[];
}

const joinLabels = (sa: string) => ({ [joinLabel(sa)]: 'true' });

export function namespaceObject(name: string, created: boolean, sa = MEMBER_SERVICE_ACCOUNT): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: joinLabels(sa), ...(created ? { annotations: { [CREATED_ANNOTATION]: sa } } : {}) } };
}

export interface MemberObjects {
  /** Namespaces join needs: its own, fedfeat's probe namespace, each tactic's namespace it grants a Role in. */
  namespaces: string[];
  /** ServiceAccount, token Secret, then the roles and their bindings (apply order). */
  objects: KubeObject[];
}

export function memberObjects(spec: Pick<JoinSpec, 'access' | 'features' | 'serviceAccount' | 'placementNamespaces'>): MemberObjects {
  const sa = spec.serviceAccount ?? MEMBER_SERVICE_ACCOUNT;
  const roleName = (piece: string) => `${sa}:${piece}`;
  const subjects = [{ kind: 'ServiceAccount', name: sa, namespace: KUBEFED_NAMESPACE }];
  const pieces = accessPieces(spec.access, spec.features);
  if (spec.placementNamespaces?.length) pieces.push({ name: PLACEMENT_ACCESS_NAME, rules: placementAccess(spec.placementNamespaces) });
  const annotations = { [ACCESS_LABEL]: spec.access };
  const namespaces = [KUBEFED_NAMESPACE];
  const roles: KubeObject[] = [];
  const bindings: KubeObject[] = [];
  for (const p of pieces) {
    const name = roleName(p.name);
    if (p.rules.cluster.length) {
      roles.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: joinLabels(sa), annotations }, rules: p.rules.cluster } as KubeObject);
      bindings.push({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name, labels: joinLabels(sa), annotations },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects,
      } as KubeObject);
    }
    for (const [namespace, rules] of Object.entries(p.rules.namespaced) as Array<[string, PolicyRule[]]>) {
      if (!rules.length) continue;
      if (!namespaces.includes(namespace)) namespaces.push(namespace);
      roles.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace, labels: joinLabels(sa), annotations }, rules } as KubeObject);
      bindings.push({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace, labels: joinLabels(sa), annotations },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects,
      } as KubeObject);
    }
  }
  return {
    namespaces,
    objects: [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: KUBEFED_NAMESPACE, labels: joinLabels(sa) } },
      {
        // Long-lived: the member's controller-manager fills it. Rotate by deleting it and joining again.
        apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
        metadata: { name: tokenSecret(sa), namespace: KUBEFED_NAMESPACE, labels: joinLabels(sa), annotations: { 'kubernetes.io/service-account.name': sa } },
      },
      ...roles,
      ...bindings,
    ],
  };
}

export interface Registration {
  memberName: string;
  apiEndpoint: string;
  caPem?: string;
  token: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The host-side Secret and KubeFedCluster for one member, as kubefedctl writes them. */
export function hostRegistrationObjects(r: Registration): { secret: KubeObject; cluster: KubeFedCluster } {
  const secretName = `${r.memberName}-token`;
  return {
    secret: {
      apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
      metadata: { name: secretName, namespace: KUBEFED_NAMESPACE, labels: { [MEMBER_LABEL]: r.memberName } },
      data: { token: Buffer.from(r.token).toString('base64'), ...(r.caPem ? { 'ca.crt': Buffer.from(r.caPem).toString('base64') } : {}) },
    },
    cluster: {
      apiVersion: KUBEFED_API_VERSION, kind: 'KubeFedCluster',
      metadata: { name: r.memberName, namespace: KUBEFED_NAMESPACE, labels: r.labels ?? {}, ...(r.annotations ? { annotations: r.annotations } : {}) },
      spec: { apiEndpoint: r.apiEndpoint, ...(r.caPem ? { caBundle: Buffer.from(r.caPem).toString('base64') } : {}), secretRef: { name: secretName } },
    },
  };
}

/** The host objects of a join: the registration, labelled with the access level and annotated with the features. */
export function hostObjects(spec: JoinSpec, token: string): { secret: KubeObject; cluster: KubeFedCluster } {
  return hostRegistrationObjects({
    memberName: spec.member, apiEndpoint: spec.apiEndpoint, caPem: spec.caPem, token,
    labels: { ...spec.labels, [ACCESS_LABEL]: spec.access },
    annotations: {
      ...spec.annotations, [FEATURES_ANNOTATION]: spec.features.join(','),
      ...(spec.placementNamespaces?.length ? { [PLACEMENT_NAMESPACES_ANNOTATION]: spec.placementNamespaces.join(',') } : {}),
    },
  });
}

/** Everything a join would write, member side first (what --dry-run prints). */
export function joinObjects(spec: JoinSpec): KubeObject[] {
  const m = memberObjects(spec);
  const h = hostObjects(spec, '<issued by the member when the token Secret is created>');
  return [...m.namespaces.map((n) => namespaceObject(n, true, spec.serviceAccount)), ...m.objects, h.secret, h.cluster];
}

/** What a KubeFedCluster says about its join: the access level and features, or undefined for a member joined otherwise. */
export function joinedAccess(labels: Record<string, string>, annotations: Record<string, string>): { access: AccessLevel; features: FeatureName[] } | undefined {
  const access = labels[ACCESS_LABEL];
  if (access !== 'inform' && access !== 'enforce') return undefined;
  const features = (annotations[FEATURES_ANNOTATION] ?? '').split(',').filter(Boolean) as FeatureName[];
  return { access, features };
}
