// `fedfeat status [NAME]`: the per-cluster, per-feature table of FeatureConfigs,
// from each FeatureConfig's status and its members' ClusterFeatureStatus objects.
import { ccoordPath, type ClusterCoordinateObject } from '../api/cluster-coordinate.js';
import { cfsPath, FEATURECONFIG_LABEL, featureConfigSelector, toClusterResult, type ClusterFeatureStatusObject } from '../api/cluster-feature-status.js';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, type ClusterFeatureStatus, type FeatureConfig } from '../api/featureconfig.js';
import type { KubeClient } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { table } from './federation-summary.js';

/** A FeatureConfig with its members' results. */
export interface FeatureConfigView {
  fc: FeatureConfig;
  members: ClusterFeatureStatus[];
}

export function renderStatus(items: FeatureConfigView[]): string {
  if (!items.length) return 'no FeatureConfig on the host\n';
  let out = '';
  for (const { fc, members } of items) {
    const ready = fc.status?.conditions?.find((c) => c.type === 'Ready');
    const stale = fc.status?.observedGeneration !== fc.metadata.generation ? ' (status not yet updated for the latest spec)' : '';
    const counts = Object.entries(fc.status?.featureCounts ?? {}).filter(([, n]) => n).map(([s, n]) => `${s} ${n}`).join(', ');
    out += `${fc.metadata.name}: Ready=${ready?.status ?? 'Unknown'} (${ready?.reason ?? 'NotObserved'}) clusters ${fc.status?.clusterSummary ?? '-'} mode ${fc.spec.mode ?? 'enforce'}${counts ? ` [${counts}]` : ''}${stale}\n`;
    // Decentralized mode: which of the fleet's members have not reported (they have no ClusterFeatureStatus row yet).
    const reported = fc.status?.conditions?.find((c) => c.type === 'Reported');
    if (reported) out += `  fleet: ${reported.message}\n`;
    const rows = [['CLUSTER', 'FEATURE', 'STATE', 'REASON', 'SINCE', 'MESSAGE']];
    for (const c of members) {
      for (const f of c.features) rows.push([c.name, f.name, f.state, f.reason ?? '', f.lastTransitionTime ?? '', (f.message ?? '').slice(0, 100)]);
      if (!c.features.length) rows.push([c.name, '-', 'Pending', '', '', 'not probed yet']);
    }
    out += (rows.length > 1 ? table(rows) : '  no member probed yet\n') + '\n';
  }
  return out;
}

/** FeatureConfigs (one, or all) with their members' results; one list call for the members of all of them. */
export async function fetchFeatureConfigs(host: KubeClient, name?: string): Promise<FeatureConfigView[]> {
  const fcs = name
    ? [await host.get<FeatureConfig>(resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name))]
    : (await host.list<FeatureConfig>(resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL))).items;
  const selector = name ? featureConfigSelector(name) : FEATURECONFIG_LABEL;
  const objects = (await host.list<ClusterFeatureStatusObject>(cfsPath(), { query: { labelSelector: selector } })).items;
  return fcs.map((fc) => ({
    fc,
    members: objects
      .filter((o) => o.featureConfig === fc.metadata.name && o.metadata.ownerReferences?.some((r) => r.uid === fc.metadata.uid))
      .sort((a, b) => a.cluster.localeCompare(b.cluster))
      .map(toClusterResult),
  }));
}

/** Members' network coordinates: what latency-aware placement will use. */
export function renderCoordinates(objs: ClusterCoordinateObject[]): string {
  if (!objs.length) return '';
  const rows = [['CLUSTER', 'RTT-MS', 'PREDICTED-MS', 'ERROR', 'SAMPLES', 'UPDATED']];
  for (const o of [...objs].sort((a, b) => a.cluster.localeCompare(b.cluster))) {
    rows.push([o.cluster, String(o.measuredRTTMilliseconds), String(o.predictedRTTMilliseconds), String(o.coordinate.error), String(o.samples), o.updateTime]);
  }
  const byAgents = objs.find((o) => o.source === 'agents');
  const from = byAgents
    ? `the agents' gossip round trips, seen from ${byAgents.metadata.labels?.['feature.kubefed.io/observer'] ?? 'this member'}`
    : "the controller's /healthz round trips";
  return `network coordinates (Vivaldi, from ${from}; error 1.5 = untrained):\n${table(rows)}\n`;
}

/** The ClusterCoordinate objects; none where the CRD is not installed (an older install). */
export async function fetchCoordinates(host: KubeClient): Promise<ClusterCoordinateObject[]> {
  try {
    return (await host.list<ClusterCoordinateObject>(ccoordPath())).items;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return [];
    throw e;
  }
}
