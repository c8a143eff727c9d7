import type { FeatureConfig } from '../../../api/featureconfig.js';
import { groupBy, stillRequiredBy } from '../../../controller/reconcile-finalize.js';

const fc = (name: string, spec: FeatureConfig['spec'], extra: Partial<FeatureConfig['metadata']> = {}): FeatureConfig => ({
  apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name, uid: `uid-${name}`, ...extra }, spec,
});
const KUBELET_TACTIC = ['cpumanagementpolicy', 'kubelet'] as const;

describe('finalize: still required by another enforcing FeatureConfig', () => {
  const deleting = fc('old', { cpumanagementpolicy: 'static' }, { deletionTimestamp: '2026-01-01T00:00:00Z' });
  const prod = { env: 'prod' };

  it('keeps a tactic another enforcing FeatureConfig selecting the member still asks for, by any of its features', () => {
    const other = fc('other', { kubelet: { containerLogMaxFiles: 3 } }); // feature "kubelet": same tactic as cpumanagementpolicy
    expect(stillRequiredBy(deleting, KUBELET_TACTIC, prod, [deleting, other]).map((o) => o.metadata.name)).toEqual(['other']);
  });

  it('ignores the FeatureConfig itself, inform mode, other deletions, other members and other tactics', () => {
    const all = [
      deleting,
      fc('inform', { cpumanagementpolicy: 'static', mode: 'inform' }),
      fc('going', { cpumanagementpolicy: 'static' }, { deletionTimestamp: '2026-01-01T00:00:00Z' }),
      fc('staging-only', { cpumanagementpolicy: 'static', clusterSelector: { matchLabels: { env: 'staging' } } }),
      fc('podpreset-only', { podpreset: true }),
    ];
    expect(stillRequiredBy(deleting, KUBELET_TACTIC, prod, all)).toEqual([]);
  });

  it('counts a FeatureConfig whose selector picks the member', () => {
    const prodOnly = fc('prod', { cpumanagementpolicy: 'none', clusterSelector: { matchLabels: prod } });
    expect(stillRequiredBy(deleting, KUBELET_TACTIC, prod, [deleting, prodOnly])).toHaveLength(1);
    expect(stillRequiredBy(deleting, KUBELET_TACTIC, { env: 'dev' }, [deleting, prodOnly])).toHaveLength(0);
  });
});

describe('finalize: tactics reverted side by side, features of one tactic in turn', () => {
  it('groups features by tactic, keeping their order', () => {
    const tactic: Record<string, string> = { podpreset: 'podpreset', cpumanagementpolicy: 'kubelet', networkpolicy: 'calico', kubelet: 'kubelet' };
    const groups = groupBy(['podpreset', 'cpumanagementpolicy', 'networkpolicy', 'kubelet'], (f) => tactic[f]);
    expect([...groups.entries()]).toEqual([['podpreset', ['podpreset']], ['kubelet', ['cpumanagementpolicy', 'kubelet']], ['calico', ['networkpolicy']]]);
  });
});
