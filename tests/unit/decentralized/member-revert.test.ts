import { describe, expect, test } from '@jest/globals';
import type { DesiredFeature, FeatureConfig, FeatureConfigSpec } from '../../../api/featureconfig.js';
import { createLogger } from '../../../controller/logger.js';
import { revertOnMember, revertSteps } from '../../../decentralized/member-revert.js';
import type { KubeClient } from '../../../kube-client/client.js';
import { defaultRegistry, type ReconfiguratorRegistry } from '../../../reconfigurators/registry.js';

const fc = (name: string, spec: FeatureConfigSpec): FeatureConfig => ({ apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name, uid: name }, spec });
const LABELS = { name: 'member-1', region: 'eu' };

describe('revertSteps: what a FeatureConfig that stops applying leaves on a member', () => {
  const registry = defaultRegistry();
  test('Revert reverts each feature; Retain (the default) keeps them', () => {
    const spec: FeatureConfigSpec = { podpreset: true, networkpolicy: true, mode: 'enforce' };
    expect(revertSteps(fc('a', { ...spec, deletionPolicy: 'Revert' }), LABELS, [], registry).map((s) => [s.feature.name, s.action]))
      .toEqual([['podpreset', 'revert'], ['networkpolicy', 'revert']]);
    expect(revertSteps(fc('a', spec), LABELS, [], registry).map((s) => s.action)).toEqual(['retain', 'retain']);
  });

  test('a feature another enforcing FeatureConfig still asks for here is not reverted', () => {
    const deleting = fc('a', { podpreset: true, networkpolicy: true, mode: 'enforce', deletionPolicy: 'Revert' });
    const others = [
      fc('b', { podpreset: true, mode: 'enforce' }),
      fc('c', { networkpolicy: true, mode: 'inform' }), // inform changes nothing: does not hold the feature
      fc('d', { networkpolicy: true, mode: 'enforce', clusterSelector: { matchLabels: { region: 'us' } } }), // not this member
    ];
    expect(revertSteps(deleting, LABELS, others, registry)).toEqual([
      { feature: { name: 'podpreset' }, action: 'required', requiredBy: ['b'] },
      { feature: { name: 'networkpolicy', calico: {} }, action: 'revert' },
    ]);
  });

  test('nothing for a FeatureConfig that never selected the member', () => {
    expect(revertSteps(fc('a', { podpreset: true, deletionPolicy: 'Revert', clusterSelector: { matchLabels: { region: 'us' } } }), LABELS, [], registry)).toEqual([]);
  });
});

describe('revertOnMember', () => {
  test('runs the tactic\'s revert, reports each outcome, and returns what failed', async () => {
    const reverted: string[] = [];
    const registry = {
      for: (f: string) => ({
        features: [f],
        revert: async (_ctx: unknown, feature: DesiredFeature) => {
          if (feature.name === 'networkpolicy') throw new Error('Calico CRDs still finalizing');
          reverted.push(feature.name);
          return { changed: true, message: `removed ${feature.name}` };
        },
      }),
    } as unknown as ReconfiguratorRegistry;
    const events: string[] = [];
    const problems = await revertOnMember({
      member: 'member-1', client: {} as KubeClient, labels: LABELS, annotations: {}, registry, log: createLogger('error'), signal: new AbortController().signal,
      options: { nodeProbeConcurrency: 1, requestTimeoutMs: 1000 },
      event: (o, type, reason, message, feature) => events.push(`${o.metadata.name} ${type} ${reason} ${feature}: ${message}`),
    }, fc('a', { podpreset: true, networkpolicy: true, mode: 'enforce', deletionPolicy: 'Revert' }), []);
    expect(reverted).toEqual(['podpreset']);
    expect(problems).toEqual(['networkpolicy: Calico CRDs still finalizing']);
    expect(events).toEqual(['a Normal Reverted podpreset: removed podpreset', 'a Warning RevertFailed networkpolicy: Calico CRDs still finalizing']);
  });
});
