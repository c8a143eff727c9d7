// One decision's filter step from what the caches hold (pure): each selected
// member's facts (health, join, feature evidence, free resources of the nodes
// the pod may use) and the qualifying members with their capacity. The
// controller and the decision-time benchmark both run exactly this.
import { withDefaults, type FeaturePlacement, type PodSpec } from '../api/featureplacement.js';
import { PLACEMENT_NAMESPACES_ANNOTATION } from './access.js';
import { nodesFreeFromUsage, nodeUsable, podRequests, usageByNode, type NodeObject, type PodObject, type Toleration, type Usage } from './capacity.js';
import { featureEvidence, qualify, type FeatureConfigView, type FilterResult, type MemberFacts } from './filter.js';
import { placementLabelValue, PLACEMENT_LABEL } from './render.js';

const ACCESS_LABEL = 'fedfeat.io/access';

export interface MemberView {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ready: boolean;
  lastError?: string;
  configError?: string;
  /** What the member's caches hold; undefined while they have not synced. */
  cache?: {
    nodes: NodeObject[];
    /** Requests of non-terminated pods per node. */
    used: Map<string, Usage>;
    /** This placement's pods on the member (their requests are given back: they are its own). */
    ownPods: PodObject[];
  };
}

export function filterMembers(fp: FeaturePlacement, selected: MemberView[], views: FeatureConfigView[]): FilterResult {
  const spec = withDefaults(fp.spec);
  const ns = fp.metadata.namespace!;
  const label = placementLabelValue(fp);
  const podSpec = (fp.spec.template.spec.template?.spec ?? {}) as PodSpec & { tolerations?: Toleration[] };
  const required = spec.requiredFeatures ?? [];
  const evidence = featureEvidence(required, views, selected.map((m) => m.name));
  const own = (p: PodObject) => p.metadata.namespace === ns && p.metadata.labels?.[PLACEMENT_LABEL] === label;
  const facts: MemberFacts[] = selected.map((m) => {
    const joinedNs = m.annotations[PLACEMENT_NAMESPACES_ANNOTATION];
    // Members fedfeat join registered say which namespaces placement may use; others (kubefedctl) are tried.
    const blocked = m.configError ? { reason: 'ClusterConfigInvalid', message: m.configError }
      : m.labels[ACCESS_LABEL] && !(joinedNs ?? '').split(',').includes(ns)
        ? { reason: 'NamespaceNotJoined', message: `member not joined for namespace ${ns}: fedfeat join ${m.name} --placement-namespaces ${[joinedNs, ns].filter(Boolean).join(',')}` }
        : undefined;
    return {
      name: m.name,
      ready: m.ready,
      ...(m.ready ? {} : { notReadyMessage: `fedfeat reports the member Offline${m.lastError ? `: ${m.lastError}` : ''}` }),
      ...(blocked ? { blocked } : {}),
      features: evidence.get(m.name) ?? new Map(),
      // Computed only for members that pass the feature filter.
      ...(m.cache ? { free: () => nodesFreeFromUsage(m.cache!.nodes.filter((n) => nodeUsable(n, podSpec.tolerations)), m.cache!.used, usageByNode(m.cache!.ownPods.filter(own))) } : {}),
    };
  });
  return qualify(required, podRequests(podSpec), facts);
}
