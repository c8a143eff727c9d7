import type { FeaturePlacement } from '../../../api/featureplacement.js';
import { memberDeployment, pinToNodes, PLACEMENT_LABEL } from '../../../placement/render.js';

const fp: FeaturePlacement = {
  apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement',
  metadata: { name: 'web', namespace: 'shop', uid: 'u1' },
  spec: {
    replicas: 6,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { replicas: 99, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    },
  },
};

describe('memberDeployment', () => {
  it("sets the member's replicas and fedfeat's owner labels on the Deployment and its pods", () => {
    const d = memberDeployment(fp, 3) as unknown as { metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> }; spec: { replicas: number; selector: unknown; template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } } };
    expect(d.metadata).toMatchObject({ name: 'web', namespace: 'shop', labels: { app: 'web', [PLACEMENT_LABEL]: 'shop.web', 'app.kubernetes.io/managed-by': 'fedfeat' }, annotations: { 'feature.kubefed.io/placement-uid': 'u1' } });
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(d.spec.template.metadata.labels).toEqual({ app: 'web', [PLACEMENT_LABEL]: 'shop.web' });
    expect(d.spec.template.spec.affinity).toBeUndefined();
  });

  it('pins pods to the nodes showing a node-level feature, within every term the user wrote', () => {
    expect(pinToNodes({}, ['n1', 'n2']).affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1', 'n2'] }] }] } } });
    const user = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } }, podAntiAffinity: { x: 1 } } };
    const pinned = pinToNodes(user, ['n1']).affinity as { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: Array<{ matchFields: unknown[]; matchExpressions: unknown[] }> } }; podAntiAffinity: unknown };
    expect(pinned.podAntiAffinity).toEqual({ x: 1 });
    expect(pinned.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.map((t) => [t.matchExpressions.length, t.matchFields.length])).toEqual([[1, 1], [1, 1]]);
  });
});
