// Which members a placement may use (pure): Ready, selected, and every
// required feature Supported there as fedfeat's own FeatureConfigs report it;
// for a node-level feature (the kubelet's CPU manager policy) only the nodes
// whose kubelet shows it count toward capacity. Every member left out gets a
// reason, for the placement's status.
import { desiredFeatures, type ClusterFeatureStatus, type FeatureConfig, type FeatureState } from '../api/featureconfig.js';
import { featureKey, isNodeLevel, provides, type ExcludedMember, type RequiredFeature } from '../api/featureplacement.js';
import { memberCapacity, type NodeFree, type Resources } from './capacity.js';

/** What fedfeat knows of one required feature on one member. */
export interface FeatureEvidence {
  state: FeatureState | 'NoFeatureConfig';
  reason?: string;
  message?: string;
  /** Node-level features: the nodes whose kubelet shows the feature, when the probe said (undefined: not known). */
  nodes?: string[];
}

/** One FeatureConfig with the members it selects and its latest per-member results. */
export interface FeatureConfigView {
  fc: FeatureConfig;
  /** Per member: the features' states, with per-node results for node-level features when known. */
  results: Map<string, ClusterFeatureStatus>;
}

/** Supported beats every other state; then the state closest to becoming Supported explains the exclusion. */
const RANK: Array<FeatureEvidence['state']> = ['Supported', 'Reconfiguring', 'Missing', 'Failed', 'Unknown', 'Reverted', 'NoFeatureConfig'];

/**
 * Per member, per required feature (by featureKey): the best evidence any FeatureConfig that requests the feature
 * (with the same value) has for it.
 */
export function featureEvidence(required: RequiredFeature[], views: FeatureConfigView[], members: string[]): Map<string, Map<string, FeatureEvidence>> {
  const out = new Map<string, Map<string, FeatureEvidence>>();
  for (const m of members) out.set(m, new Map(required.map((r) => [featureKey(r), { state: 'NoFeatureConfig' as const }])));
  for (const v of views) {
    const desired = desiredFeatures(v.fc.spec);
    for (const r of required) {
      const d = desired.find((x) => provides(x, r));
      if (!d) continue;
      for (const [member, result] of v.results) {
        const mine = out.get(member);
        const f = result.features.find((x) => x.name === d.name);
        if (!mine || !f) continue;
        const ev: FeatureEvidence = { state: f.state, ...(f.reason ? { reason: f.reason } : {}), ...(f.message ? { message: f.message } : {}), ...(result.nodes?.[d.name] ? { nodes: result.nodes[d.name] } : {}) };
        const have = mine.get(featureKey(r))!;
        if (RANK.indexOf(ev.state) < RANK.indexOf(have.state)) mine.set(featureKey(r), ev);
      }
    }
  }
  return out;
}

export interface MemberFacts {
  name: string;
  /** fedfeat's health view (hysteresis: Offline after 3 failed probes). */
  ready: boolean;
  notReadyMessage?: string;
  /** Left out before anything else, e.g. the member was not joined for the placement's namespace. */
  blocked?: { reason: string; message: string };
  features: Map<string, FeatureEvidence>;
  /** Free resources per usable node (from the member's caches; a function: computed only when needed); undefined while they are not synced. */
  free?: NodeFree[] | (() => NodeFree[]);
}

export interface Qualified {
  name: string;
  capacity: number;
  /** Nodes the pods must be pinned to (node-level features); undefined: any node. */
  nodes?: string[];
}

export interface FilterResult {
  qualified: Qualified[];
  excluded: ExcludedMember[];
}

/** Filter and capacity of every candidate member (already selected by the clusterSelector). */
export function qualify(required: RequiredFeature[], req: Resources, members: MemberFacts[]): FilterResult {
  const qualified: Qualified[] = [];
  const excluded: ExcludedMember[] = [];
  for (const m of members) {
    if (m.blocked) {
      excluded.push({ name: m.name, ...m.blocked });
      continue;
    }
    if (!m.ready) {
      excluded.push({ name: m.name, reason: 'ClusterNotReady', message: m.notReadyMessage ?? 'fedfeat reports the member Offline' });
      continue;
    }
    const missing = required.map((r) => ({ r, ev: m.features.get(featureKey(r)) ?? { state: 'NoFeatureConfig' as const } })).filter(({ r, ev }) => {
      if (isNodeLevel(r) && ev.nodes) return ev.nodes.length === 0;
      return ev.state !== 'Supported';
    });
    if (missing.length) {
      const { r, ev } = missing[0]!;
      const reason = ev.state === 'NoFeatureConfig' ? 'NoFeatureConfig' : ev.state === 'Unknown' ? 'FeatureUnknown' : isNodeLevel(r) && ev.nodes ? 'NoFeatureNodes' : 'FeatureMissing';
      const what = missing.map(({ r: x, ev: e }) => `${featureKey(x)} is ${e.state === 'NoFeatureConfig' ? 'requested by no FeatureConfig selecting this member' : e.state}${e.reason ? ` (${e.reason})` : ''}`);
      excluded.push({ name: m.name, reason, message: what.join('; ').slice(0, 1024) });
      continue;
    }
    if (!m.free) {
      excluded.push({ name: m.name, reason: 'CapacityUnknown', message: 'the member\'s nodes and pods are not cached yet (its join must grant reading pods: fedfeat join --placement-namespaces)' });
      continue;
    }
    // Node-level features: only nodes whose kubelet shows every one of them.
    let nodes: Set<string> | undefined;
    for (const r of required.filter(isNodeLevel)) {
      const shown = m.features.get(featureKey(r))?.nodes;
      if (!shown) continue;
      nodes = new Set(nodes ? shown.filter((n) => nodes!.has(n)) : shown);
    }
    const all = typeof m.free === 'function' ? m.free() : m.free;
    const free = nodes ? all.filter((n) => nodes!.has(n.name)) : all;
    const capacity = memberCapacity(free, req);
    if (capacity === 0) {
      excluded.push({ name: m.name, reason: nodes && nodes.size === 0 ? 'NoFeatureNodes' : 'NoCapacity', message: `no ${nodes ? 'feature ' : ''}node has room for a pod requesting ${req.cpu}m CPU and ${req.memory} bytes of memory` });
      continue;
    }
    qualified.push({ name: m.name, capacity, ...(nodes ? { nodes: [...nodes].sort() } : {}) });
  }
  return { qualified, excluded };
}
