// `fedfeat status [NAME]`: the per-cluster, per-feature table of FeatureConfigs.
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, type FeatureConfig } from '../api/featureconfig.js';
import type { KubeClient } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { table } from './federation-summary.js';

export function renderStatus(items: FeatureConfig[]): string {
  if (!items.length) return 'no FeatureConfig on the host\n';
  let out = '';
  for (const fc of items) {
    const ready = fc.status?.conditions?.find((c) => c.type === 'Ready');
    const stale = fc.status?.observedGeneration !== fc.metadata.generation ? ' (status not yet updated for the latest spec)' : '';
    out += `${fc.metadata.name}: Ready=${ready?.status ?? 'Unknown'} (${ready?.reason ?? 'NotObserved'}) clusters ${fc.status?.clusterSummary ?? '-'} mode ${fc.spec.mode ?? 'enforce'}${stale}\n`;
    const rows = [['CLUSTER', 'FEATURE', 'STATE', 'REASON', 'SINCE', 'MESSAGE']];
    for (const c of fc.status?.clusters ?? []) {
      for (const f of c.features) rows.push([c.name, f.name, f.state, f.reason ?? '', f.lastTransitionTime ?? '', (f.message ?? '').slice(0, 100)]);
      if (!c.features.length) rows.push([c.name, '-', 'Pending', '', '', 'not probed yet']);
    }
    out += (rows.length > 1 ? table(rows) : '  no member probed yet\n') + '\n';
  }
  return out;
}

export async function fetchFeatureConfigs(host: KubeClient, name?: string): Promise<FeatureConfig[]> {
  if (name) return [await host.get<FeatureConfig>(resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name))];
  return (await host.list<FeatureConfig>(resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL))).items;
}
