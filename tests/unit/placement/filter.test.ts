import type { ClusterFeatureStatus, FeatureConfig } from '../../../api/featureconfig.js';
import { featureEvidence, qualify, type FeatureConfigView, type MemberFacts } from '../../../placement/filter.js';

const fc = (name: string, spec: FeatureConfig['spec']): FeatureConfig => ({ apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name }, spec });
const result = (name: string, features: ClusterFeatureStatus['features'], nodes?: ClusterFeatureStatus['nodes']) => [name, { name, features, ...(nodes ? { nodes } : {}) }] as const;
const hello = { cpu: 1000, memory: 2 ** 30 };
const free = (...names: string[]) => names.map((name) => ({ name, cpu: 4000, memory: 16 * 2 ** 30, pods: 110 }));

describe('featureEvidence', () => {
  it('takes the best state any FeatureConfig requesting the feature reports, with the same value', () => {
    const views: FeatureConfigView[] = [
      { fc: fc('a', { podpreset: true, cpumanagementpolicy: 'none' }), results: new Map([result('m1', [{ name: 'podpreset', state: 'Missing' }, { name: 'cpumanagementpolicy', state: 'Supported' }])]) },
      { fc: fc('b', { podpreset: true }), results: new Map([result('m1', [{ name: 'podpreset', state: 'Supported' }]), result('m2', [{ name: 'podpreset', state: 'Failed', reason: 'ReconfigureFailed' }])]) },
    ];
    const ev = featureEvidence([{ name: 'podpreset' }, { name: 'cpumanagementpolicy', value: 'static' }], views, ['m1', 'm2', 'm3']);
    expect(ev.get('m1')!.get('podpreset')!.state).toBe('Supported');
    // Only a FeatureConfig asking for "none" knows the policy: it says nothing about "static".
    expect(ev.get('m1')!.get('cpumanagementpolicy=static')!.state).toBe('NoFeatureConfig');
    expect(ev.get('m2')!.get('podpreset')).toMatchObject({ state: 'Failed', reason: 'ReconfigureFailed' });
    expect(ev.get('m3')!.get('podpreset')!.state).toBe('NoFeatureConfig');
  });

  it('carries the nodes a node-level probe found showing the feature', () => {
    const views: FeatureConfigView[] = [{ fc: fc('k', { cpumanagementpolicy: 'static' }), results: new Map([result('m1', [{ name: 'cpumanagementpolicy', state: 'Reconfiguring' }], { cpumanagementpolicy: ['n1'] })]) }];
    expect(featureEvidence([{ name: 'cpumanagementpolicy', value: 'static' }], views, ['m1']).get('m1')!.get('cpumanagementpolicy=static')).toMatchObject({ state: 'Reconfiguring', nodes: ['n1'] });
  });
});

describe('qualify', () => {
  const member = (name: string, over: Partial<MemberFacts> = {}): MemberFacts => ({ name, ready: true, features: new Map([['podpreset', { state: 'Supported' }]]), free: free(`${name}-a`, `${name}-b`), ...over });

  it('keeps Ready members with every required feature Supported, with their capacity', () => {
    const r = qualify([{ name: 'podpreset' }], hello, [member('m1')]);
    expect(r.qualified).toEqual([{ name: 'm1', capacity: 8 }]);
    expect(r.excluded).toEqual([]);
  });

  it('says why each member is left out', () => {
    const r = qualify([{ name: 'podpreset' }], hello, [
      member('offline', { ready: false, notReadyMessage: 'health probe failed 3 times' }),
      member('missing', { features: new Map([['podpreset', { state: 'Missing', reason: 'APINotServed' }]]) }),
      member('unknown', { features: new Map([['podpreset', { state: 'Unknown', reason: 'ClusterOffline' }]]) }),
      member('none', { features: new Map() }),
      member('full', { free: [{ name: 'x', cpu: 500, memory: 2 ** 40, pods: 110 }] }),
      member('uncached', { free: undefined }),
    ]);
    expect(r.qualified).toEqual([]);
    expect(r.excluded.map((e) => [e.name, e.reason])).toEqual([
      ['offline', 'ClusterNotReady'], ['missing', 'FeatureMissing'], ['unknown', 'FeatureUnknown'], ['none', 'NoFeatureConfig'], ['full', 'NoCapacity'], ['uncached', 'CapacityUnknown'],
    ]);
    expect(r.excluded[1]!.message).toBe('podpreset is Missing (APINotServed)');
    expect(r.excluded[3]!.message).toMatch(/requested by no FeatureConfig/);
  });

  it('counts only the nodes whose kubelet shows a node-level feature, and pins the pods to them', () => {
    const req = [{ name: 'cpumanagementpolicy' as const, value: 'static' }];
    const m = member('m1', { features: new Map([['cpumanagementpolicy=static', { state: 'Reconfiguring', nodes: ['m1-b'] }]]) });
    expect(qualify(req, hello, [m]).qualified).toEqual([{ name: 'm1', capacity: 4, nodes: ['m1-b'] }]);
    const none = member('m2', { features: new Map([['cpumanagementpolicy=static', { state: 'Missing', nodes: [] }]]) });
    expect(qualify(req, hello, [none]).excluded[0]!.reason).toBe('NoFeatureNodes');
    // Supported without per-node results (a restarted controller reads states only): every node counts.
    const supported = member('m3', { features: new Map([['cpumanagementpolicy=static', { state: 'Supported' }]]) });
    expect(qualify(req, hello, [supported]).qualified).toEqual([{ name: 'm3', capacity: 8 }]);
  });

  it('with no required feature, every Ready member with room qualifies', () => {
    expect(qualify([], hello, [member('m1', { features: new Map() })]).qualified).toHaveLength(1);
  });
});
