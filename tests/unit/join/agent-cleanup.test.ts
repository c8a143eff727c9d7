import { describe, expect, test } from '@jest/globals';
import type { ClusterCoordinateObject } from '../../../api/cluster-coordinate.js';
import type { ClusterFeatureStatusObject } from '../../../api/cluster-feature-status.js';
import type { FeatureConfig, FeatureConfigSpec } from '../../../api/featureconfig.js';
import { cleanupPlan, whatStays } from '../../../join/agent-cleanup.js';
import { defaultRegistry } from '../../../reconfigurators/registry.js';

const fc = (name: string, spec: FeatureConfigSpec, agents = true): FeatureConfig => ({
  apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig',
  metadata: { name, uid: `uid-${name}`, ...(agents ? { annotations: { 'feature.kubefed.io/fleet-spec': JSON.stringify(spec) } } : {}) }, spec,
});
const cfs = (name: string, owner: string) => ({
  metadata: { name, namespace: 'kube-federation-system', labels: { 'feature.kubefed.io/cluster': name.split('.')[1] }, ownerReferences: [{ apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', name: owner, uid: `uid-${owner}` }] },
}) as unknown as ClusterFeatureStatusObject;
const coord = (cluster: string, source: string, observer?: string) => ({
  metadata: { name: cluster, namespace: 'kube-federation-system', labels: observer ? { 'feature.kubefed.io/observer': observer } : {} }, cluster, source,
}) as unknown as ClusterCoordinateObject;
const LABELS = { name: 'member-3' };

describe('unjoin --decentralized: what the agent materialized on the leaving member', () => {
  const fcs = [
    fc('gpu', { podpreset: true, mode: 'enforce', deletionPolicy: 'Revert' }),
    fc('net', { networkpolicy: true, mode: 'enforce' }), // Retain (the default)
    fc('probe', { podpreset: true, mode: 'inform' }),
    fc('local', { podpreset: true, mode: 'enforce' }, false), // applied here by hand, never taken by the agent
  ];
  const plan = cleanupPlan('member-3', LABELS, fcs,
    [cfs('gpu.member-1', 'gpu'), cfs('gpu.member-3', 'gpu'), cfs('local.member-3', 'local'), cfs('gone.member-2', 'gone')],
    [coord('member-1', 'agents', 'member-3'), coord('member-3', 'agents', 'member-3'), coord('member-2', 'agents', 'member-2'), coord('member-9', 'host')],
    defaultRegistry());

  test('the agent\'s FeatureConfigs (fleet-spec annotation), the statuses they own or whose FeatureConfig is gone, the coordinates it observed; nothing else', () => {
    expect(plan.featureConfigs.map((x) => x.fc.metadata.name)).toEqual(['gpu', 'net', 'probe']);
    expect(plan.statuses.map((o) => o.metadata.name)).toEqual(['gpu.member-1', 'gpu.member-3', 'gone.member-2']);
    expect(plan.coordinates.map((o) => o.metadata.name)).toEqual(['member-1', 'member-3']);
    expect(plan.foreign).toEqual([
      'FeatureConfig local', 'ClusterFeatureStatus kube-federation-system/local.member-3',
      'ClusterCoordinate kube-federation-system/member-2', 'ClusterCoordinate kube-federation-system/member-9',
    ]);
  });

  test('tactics follow deletionPolicy; a feature a remaining FeatureConfig enforces is kept, and every change that stays is named', () => {
    const steps = new Map(plan.featureConfigs.map((x) => [x.fc.metadata.name, x.steps.map((s) => s.action)]));
    // gpu's podpreset: Revert, but "local" (not the agent's, it stays) still enforces podpreset here.
    expect(steps.get('gpu')).toEqual(['required']);
    expect(steps.get('net')).toEqual(['retain']);
    expect(whatStays('member-3', plan)).toEqual([
      'member-3: podpreset stays on member-3: FeatureConfig local (not the agent\'s) still asks for it',
      'member-3: FeatureConfig net has deletionPolicy Retain: fedfeat\'s changes for networkpolicy stay on member-3',
    ]);
    const alone = cleanupPlan('member-3', LABELS, fcs.filter((x) => x.metadata.name !== 'local'), [], [], defaultRegistry());
    expect(alone.featureConfigs[0]!.steps.map((s) => s.action)).toEqual(['revert']);
    expect(alone.foreign).toEqual([]);
  });

  test('without the member\'s labels (a second unjoin: join\'s ConfigMap is gone), the agent\'s own report says where the tactics ran', () => {
    const eu = fc('eu', { podpreset: true, mode: 'enforce', deletionPolicy: 'Revert', clusterSelector: { matchLabels: { region: 'eu' } } });
    const us = fc('us', { podpreset: true, mode: 'enforce', deletionPolicy: 'Revert', clusterSelector: { matchLabels: { region: 'us' } } });
    const p = cleanupPlan('member-3', {}, [eu, us], [cfs('eu.member-3', 'eu'), cfs('us.member-1', 'us')], [], defaultRegistry());
    expect(p.featureConfigs.map((x) => [x.fc.metadata.name, x.steps.map((s) => s.action)])).toEqual([['eu', ['revert']], ['us', []]]);
  });
});
