// ClusterFeatureStatus (feature.kubefed.io/v1alpha1, namespaced): one
// member's results for one FeatureConfig, in its own small object so the
// FeatureConfig's status stays small at any fleet size. Named
// <featureconfig>.<cluster>, labelled with both names, owned by the
// FeatureConfig (garbage-collected with it).
import { createHash } from 'node:crypto';
import type { KubeClient, KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { FEATURECONFIG_API_VERSION, type ClusterFeatureStatus, type FeatureConfig, type FeatureName, type FeatureState, type FeatureStatus } from './featureconfig.js';
import { KUBEFED_NAMESPACE } from './kubefed.js';

export const CFS_KIND = 'ClusterFeatureStatus';
export const CFS_PLURAL = 'clusterfeaturestatuses';
export const CFS_NAMESPACE = KUBEFED_NAMESPACE;
export const FEATURECONFIG_LABEL = 'feature.kubefed.io/featureconfig';
export const CLUSTER_LABEL = 'feature.kubefed.io/cluster';

export interface ClusterFeatureStatusObject extends KubeObject {
  featureConfig: string;
  cluster: string;
  observedGeneration?: number;
  reachable?: boolean;
  summary?: string;
  state?: FeatureState;
  features: FeatureStatus[];
  /** Per node-level feature, the nodes whose kubelet the last probe found running it (placement counts only those). */
  nodes?: Partial<Record<FeatureName, string[]>>;
}

/** Kubernetes name limits: label values 63 characters, object names 253. */
const LABEL_VALUE_MAX = 63;
const NAME_MAX = 253;

/** A name cut to `max` characters, its end replaced by a hash of the whole so different long names stay different. */
function fit(s: string, max: number): string {
  if (s.length <= max) return s;
  const hash = createHash('sha256').update(s).digest('hex').slice(0, 10);
  return `${s.slice(0, max - hash.length - 1).replace(/[^a-z0-9]+$/, '')}-${hash}`;
}

/** A FeatureConfig or member name as a label value (names may be 253 characters, label values 63). */
export const labelValue = (name: string) => fit(name, LABEL_VALUE_MAX);
export const cfsName = (featureConfig: string, cluster: string) => fit(`${featureConfig}.${cluster}`, NAME_MAX);
/** Selects one FeatureConfig's objects. */
export const featureConfigSelector = (featureConfig: string) => `${FEATURECONFIG_LABEL}=${labelValue(featureConfig)}`;
export const cfsPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, CFS_PLURAL, CFS_NAMESPACE, name);

/** Least healthy first: the state a member shows in one word. */
const SEVERITY: FeatureState[] = ['Failed', 'Unknown', 'Missing', 'Reconfiguring', 'Reverted', 'Supported'];

export function worstState(features: FeatureStatus[]): FeatureState | undefined {
  return SEVERITY.find((s) => features.some((f) => f.state === s));
}

/** The object for one member's result (pure). */
export function renderClusterFeatureStatus(fc: FeatureConfig, r: ClusterFeatureStatus): ClusterFeatureStatusObject {
  const supported = r.features.filter((f) => f.state === 'Supported').length;
  return {
    apiVersion: FEATURECONFIG_API_VERSION, kind: CFS_KIND,
    metadata: {
      name: cfsName(fc.metadata.name, r.name), namespace: CFS_NAMESPACE,
      labels: { [FEATURECONFIG_LABEL]: labelValue(fc.metadata.name), [CLUSTER_LABEL]: labelValue(r.name) },
      ownerReferences: [{ apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', name: fc.metadata.name, uid: fc.metadata.uid, controller: true }],
    },
    featureConfig: fc.metadata.name,
    cluster: r.name,
    observedGeneration: fc.metadata.generation,
    ...(r.reachable !== undefined ? { reachable: r.reachable } : {}),
    summary: `${supported}/${r.features.length}`,
    ...(worstState(r.features) ? { state: worstState(r.features) } : {}),
    features: r.features.map((f) => ({ ...f, ...(f.message ? { message: f.message.slice(0, 4096) } : {}) })),
    // Stored, so a restarted controller pins placements to the right nodes before its first probe; sorted, so the
    // order a probe lists nodes in never causes a write.
    ...(r.nodes && Object.keys(r.nodes).length ? { nodes: Object.fromEntries(Object.entries(r.nodes).sort(([a], [b]) => a.localeCompare(b)).map(([f, ns]) => [f, [...(ns ?? [])].sort()])) } : {}),
  };
}

/** The in-memory result an object holds (what the controller rebuilds its view from after a restart). */
export function toClusterResult(o: ClusterFeatureStatusObject): ClusterFeatureStatus {
  return { name: o.cluster, ...(o.reachable !== undefined ? { reachable: o.reachable } : {}), features: o.features ?? [], ...(o.nodes ? { nodes: o.nodes } : {}) };
}

/** Every member's result for one FeatureConfig, by cluster name. */
export async function listClusterFeatureStatuses(client: KubeClient, featureConfig: string): Promise<ClusterFeatureStatusObject[]> {
  const list = await client.list<ClusterFeatureStatusObject>(cfsPath(), { query: { labelSelector: featureConfigSelector(featureConfig) } });
  // A hashed label value could in theory be shared; the object's own field is exact.
  return list.items.filter((o) => o.featureConfig === featureConfig).sort((a, b) => a.cluster.localeCompare(b.cluster));
}
