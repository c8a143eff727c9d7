import { describe, expect, test } from '@jest/globals';
import type { FeatureConfig } from '../../../api/featureconfig.js';
import { renderStatus } from '../../../cli/status-table.js';

const fc = (conditions: NonNullable<FeatureConfig['status']>['conditions']): FeatureConfig => ({
  apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: 'gpu', generation: 1 }, spec: { podpreset: true, mode: 'inform' },
  status: { observedGeneration: 1, clusterSummary: '1/2', conditions },
});
const T = '2026-11-26T05:00:00Z';

describe('fedfeat status', () => {
  test('in decentralized mode the Reported condition names the fleet members that have not reported', () => {
    const out = renderStatus([{
      fc: fc([
        { type: 'Ready', status: 'Unknown', reason: 'Probing', message: '1/2 members not probed yet', lastTransitionTime: T },
        { type: 'Reported', status: 'False', reason: 'MembersNotReported', message: '1/2 selected members of the fleet reported for fleet generation 3; not yet: member-2 (no report)', lastTransitionTime: T },
      ]),
      members: [{ name: 'member-1', features: [{ name: 'podpreset', state: 'Supported' }] }],
    }]);
    expect(out.split('\n').slice(0, 2)).toEqual([
      'gpu: Ready=Unknown (Probing) clusters 1/2 mode inform',
      '  fleet: 1/2 selected members of the fleet reported for fleet generation 3; not yet: member-2 (no report)',
    ]);
  });

  test('host mode (no Reported condition): no fleet line', () => {
    const out = renderStatus([{ fc: fc([{ type: 'Ready', status: 'True', reason: 'AllFeaturesSupported', message: '', lastTransitionTime: T }]), members: [] }]);
    expect(out).not.toContain('fleet:');
  });
});
