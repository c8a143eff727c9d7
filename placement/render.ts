// The Deployment a placement applies on a member (pure): the template with
// the member's replica count, fedfeat's owner labels (on the Deployment and
// its pods, so the member's caches tell the placement's own pods apart), and
// for node-level features a required node affinity to the nodes whose
// kubelet shows them.
import type { FeaturePlacement, PodSpec } from '../api/featureplacement.js';
import { labelValue } from '../api/cluster-feature-status.js';
import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube-client/client.js';

export const PLACEMENT_FIELD_MANAGER = 'fedfeat-placement';
/** On member Deployments and their pods: `<namespace>.<name>` of the placement (hashed tail when long). */
export const PLACEMENT_LABEL = 'feature.kubefed.io/placement';
/** On member Deployments: the placement's uid, so a re-created placement of the same name is told apart. */
export const PLACEMENT_UID_ANNOTATION = 'feature.kubefed.io/placement-uid';
/** On member Deployments: a hash of everything but the replica count, so a changed template or node list is re-applied. */
export const TEMPLATE_HASH_ANNOTATION = 'feature.kubefed.io/template-hash';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'fedfeat' };

export const placementLabelValue = (fp: Pick<FeaturePlacement, 'metadata'>) => labelValue(`${fp.metadata.namespace}.${fp.metadata.name}`);

type NodeSelectorTerm = { matchExpressions?: unknown[]; matchFields?: Array<{ key: string; operator: string; values: string[] }> };

/** The pod spec with a required node affinity to `nodes` added to every term the user wrote (terms are ORed). */
export function pinToNodes(spec: PodSpec, nodes: string[] | undefined): PodSpec {
  if (!nodes) return spec;
  const field = { key: 'metadata.name', operator: 'In', values: nodes };
  const affinity = (spec.affinity ?? {}) as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } } };
  const terms = affinity.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const pinned = (terms.length ? terms : [{}]).map((t) => ({ ...t, matchFields: [...(t.matchFields ?? []), field] }));
  return {
    ...spec,
    affinity: { ...affinity, nodeAffinity: { ...affinity.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: pinned } } },
  };
}

export function memberDeployment(fp: FeaturePlacement, replicas: number, nodes?: string[]): KubeObject {
  const t = fp.spec.template;
  const owner = { ...MANAGED_BY, [PLACEMENT_LABEL]: placementLabelValue(fp) };
  const podTemplate = (t.spec.template ?? {}) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: PodSpec };
  const { replicas: _ignored, ...spec } = t.spec;
  const body = {
    labels: { ...t.metadata?.labels, ...owner },
    spec: {
      ...spec,
      template: {
        ...podTemplate,
        metadata: { ...podTemplate.metadata, labels: { ...podTemplate.metadata?.labels, [PLACEMENT_LABEL]: placementLabelValue(fp) } },
        spec: pinToNodes(podTemplate.spec ?? {}, nodes),
      },
    },
  };
  const hash = createHash('sha256').update(JSON.stringify([body, t.metadata?.annotations ?? {}])).digest('hex').slice(0, 16);
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: {
      name: fp.metadata.name, namespace: fp.metadata.namespace,
      labels: body.labels,
      annotations: { ...t.metadata?.annotations, [PLACEMENT_UID_ANNOTATION]: fp.metadata.uid ?? '', [TEMPLATE_HASH_ANNOTATION]: hash },
    },
    spec: { ...body.spec, replicas },
  } as KubeObject;
}
