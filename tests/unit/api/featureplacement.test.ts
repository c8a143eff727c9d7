import { desiredFeatures } from '../../../api/featureconfig.js';
import { ensureSpec, featureKey, provides, withDefaults } from '../../../api/featureplacement.js';

describe('FeaturePlacement spec', () => {
  it('fills the schema defaults', () => {
    const s = withDefaults({ template: { spec: {} }, replicas: 3 });
    expect(s).toMatchObject({ policy: 'WorstFit', overflow: 'Next', ensureFeatures: false, unschedulableSeconds: 30, rebalance: false, replicaScheduling: { type: 'Divided', clusters: {} } });
  });

  it('matches a required CPU manager policy only with the same value, flat or structured', () => {
    const [flat] = desiredFeatures({ cpumanagementpolicy: 'static' });
    const [structured] = desiredFeatures({ kubelet: { cpuManagerPolicy: 'static', reservedSystemCPUs: '0' } });
    const [none] = desiredFeatures({ cpumanagementpolicy: 'none' });
    const req = { name: 'cpumanagementpolicy' as const, value: 'static' };
    expect(provides(flat!, req)).toBe(true);
    expect(provides(structured!, req)).toBe(true);
    expect(provides(none!, req)).toBe(false);
    expect(provides(flat!, { name: 'podpreset' })).toBe(false);
    expect(featureKey(req)).toBe('cpumanagementpolicy=static');
  });

  it('asks a FeatureConfig for exactly the required features when ensuring them', () => {
    const spec = ensureSpec([{ name: 'podpreset' }, { name: 'cpumanagementpolicy', value: 'static' }], { matchLabels: { env: 'prod' } });
    expect(desiredFeatures(spec).map((f) => f.name)).toEqual(['podpreset', 'cpumanagementpolicy']);
    expect(spec).toMatchObject({ mode: 'enforce', clusterSelector: { matchLabels: { env: 'prod' } } });
  });
});
