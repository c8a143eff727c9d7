import { renderClusterFeatureStatus, toClusterResult, worstState } from '../../../api/cluster-feature-status.js';
import type { FeatureConfig } from '../../../api/featureconfig.js';
import { sameContent } from '../../../controller/member-status-writer.js';

const fc: FeatureConfig = { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: 'listing-1', uid: 'uid-1', generation: 4 }, spec: { podpreset: true } };
const result = {
  name: 'member-2', reachable: true,
  features: [
    { name: 'podpreset' as const, state: 'Supported' as const, reason: 'APIServedAndWebhookAnswering', lastTransitionTime: '2026-01-01T00:00:00Z' },
    { name: 'networkpolicy' as const, state: 'Failed' as const, reason: 'ReconfigureFailed', message: 'x'.repeat(10_000), lastTransitionTime: '2026-01-01T00:00:00Z' },
  ],
};

describe('ClusterFeatureStatus objects', () => {
  it('are named, labelled and owned so kubectl and the garbage collector find them', () => {
    const o = renderClusterFeatureStatus(fc, result);
    expect(o.metadata).toMatchObject({
      name: 'listing-1.member-2', namespace: 'kube-federation-system',
      labels: { 'feature.kubefed.io/featureconfig': 'listing-1', 'feature.kubefed.io/cluster': 'member-2' },
      ownerReferences: [{ kind: 'FeatureConfig', name: 'listing-1', uid: 'uid-1', controller: true }],
    });
    expect(o).toMatchObject({ featureConfig: 'listing-1', cluster: 'member-2', observedGeneration: 4, summary: '1/2', state: 'Failed', reachable: true });
    // Bounded: a long message is cut, so one member's object never grows without limit.
    expect(o.features[1]!.message).toHaveLength(4096);
    expect(JSON.stringify(o).length).toBeLessThan(8 * 1024);
  });

  it('give back the result a restarted controller rebuilds its view from', () => {
    const back = toClusterResult(renderClusterFeatureStatus(fc, result));
    expect(back.name).toBe('member-2');
    expect(back.features.map((f) => [f.name, f.state, f.reason])).toEqual([['podpreset', 'Supported', 'APIServedAndWebhookAnswering'], ['networkpolicy', 'Failed', 'ReconfigureFailed']]);
  });

  it('store the nodes showing a node-level feature, so a restarted controller pins placements before its first probe', () => {
    const withNodes = { ...result, nodes: { cpumanagementpolicy: ['n3', 'n1'] } };
    const o = renderClusterFeatureStatus(fc, withNodes);
    expect(o.nodes).toEqual({ cpumanagementpolicy: ['n1', 'n3'] });
    expect(toClusterResult(o).nodes).toEqual({ cpumanagementpolicy: ['n1', 'n3'] });
    // None known: no field at all (and none restored).
    expect(renderClusterFeatureStatus(fc, result)).not.toHaveProperty('nodes');
    expect(toClusterResult(renderClusterFeatureStatus(fc, result))).not.toHaveProperty('nodes');
    // A node gained or lost is written; the same nodes listed in another order are not.
    expect(sameContent(renderClusterFeatureStatus(fc, { ...result, nodes: { cpumanagementpolicy: ['n1'] } }), o)).toBe(false);
    expect(sameContent(renderClusterFeatureStatus(fc, { ...result, nodes: { cpumanagementpolicy: ['n1', 'n3'] } }), o)).toBe(true);
  });

  it('are rewritten only when their content changes', () => {
    const o = renderClusterFeatureStatus(fc, result);
    const stored = { ...o, metadata: { ...o.metadata, resourceVersion: '42', managedFields: [{}] } };
    expect(sameContent(o, stored)).toBe(true);
    expect(sameContent(renderClusterFeatureStatus({ ...fc, metadata: { ...fc.metadata, generation: 5 } }, result), stored)).toBe(false);
    expect(sameContent(o, undefined)).toBe(false);
  });

  it('show the least healthy state', () => {
    expect(worstState([{ name: 'podpreset', state: 'Missing' }, { name: 'networkpolicy', state: 'Unknown' }])).toBe('Unknown');
    expect(worstState([])).toBeUndefined();
  });
});

describe('ClusterFeatureStatus names and labels for long names', () => {
  it('keeps short names as they are and fits long ones to the Kubernetes limits, distinct and stable', async () => {
    const { cfsName, labelValue, featureConfigSelector } = await import('../../../api/cluster-feature-status.js');
    expect(labelValue('listing-1')).toBe('listing-1');
    expect(cfsName('listing-1', 'member-2')).toBe('listing-1.member-2');
    const long = `fc-${'a'.repeat(80)}`;
    const other = `fc-${'a'.repeat(79)}b`;
    expect(labelValue(long)).toHaveLength(63);
    expect(labelValue(long)).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(labelValue(long)).not.toBe(labelValue(other));
    expect(labelValue(long)).toBe(labelValue(long));
    expect(featureConfigSelector(long)).toBe(`feature.kubefed.io/featureconfig=${labelValue(long)}`);
    const name = cfsName('x'.repeat(200), 'm'.repeat(200));
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).not.toBe(cfsName('x'.repeat(200), `${'m'.repeat(199)}n`));
  });
});
