// A FeatureConfig's own status in decentralized mode (pure). There is no
// registry of members as the host has (KubeFedClusters); the fleet document is
// the registry (fleet-doc.ts currentMembers: the members an epoch's cut waits
// for too). Only a member's own agent
// knows its labels, so clusterSelector is evaluated there: a member the
// FeatureConfig does not select reports so (`selected: false`) instead of
// staying silent, and a member counts as reported only with a report for the
// FeatureConfig's current fleet generation.
import type { ClusterFeatureStatus, Condition, FeatureConfigStatus } from '../api/featureconfig.js';
import { aggregateStatus } from '../controller/status.js';
import { currentMembers, reports, revokedMembers, type FleetDoc, type MemberReport } from './fleet-doc.js';

/** The fleet's current members as the document knows them, sorted (`self` always counts). */
export function fleetMembers(doc: FleetDoc, self?: string): string[] {
  const all = currentMembers(doc);
  if (self && !revokedMembers(doc).has(self)) all.add(self);
  return [...all].sort();
}

export interface FleetReports {
  /** Members of the fleet not known to be unselected: the ones whose report this FeatureConfig waits for. */
  selected: string[];
  /** Members that reported for `generation` that the clusterSelector does not select them. */
  notSelected: string[];
  /** Reports of selected members for `generation`. */
  current: Map<string, MemberReport>;
  /** Selected members without a report for `generation`, with the generation of their last report if any. */
  missing: Array<{ member: string; lastGeneration?: number }>;
}

/** Who has reported on FeatureConfig `name` at fleet generation `generation` (pure). */
export function fleetReports(doc: FleetDoc, name: string, generation: number, self?: string): FleetReports {
  const byMember = new Map(reports(doc).filter((r) => r.featureconfig === name).map((r) => [r.member, r]));
  const out: FleetReports = { selected: [], notSelected: [], current: new Map(), missing: [] };
  for (const member of fleetMembers(doc, self)) {
    const r = byMember.get(member);
    // A "not selected" report from an earlier generation may be stale (the selector may have changed): wait for it again.
    if (r?.generation === generation && r.selected === false) {
      out.notSelected.push(member);
      continue;
    }
    out.selected.push(member);
    if (r?.generation === generation) out.current.set(member, r);
    else out.missing.push({ member, ...(r ? { lastGeneration: r.generation } : {}) });
  }
  return out;
}

const LISTED = 10;
const names = (xs: string[]) => xs.slice(0, LISTED).join(', ') + (xs.length > LISTED ? `, and ${xs.length - LISTED} more` : '');

/** The Reported condition: every selected member of the fleet has reported for the current fleet generation. */
export function reportedCondition(r: FleetReports, generation: number): Omit<Condition, 'lastTransitionTime'> {
  const unselected = r.notSelected.length ? `; not selected by spec.clusterSelector: ${names(r.notSelected)}` : '';
  if (!r.missing.length) {
    return {
      type: 'Reported', status: 'True', reason: r.selected.length ? 'AllMembersReported' : 'NoMemberSelected',
      message: `${r.current.size}/${r.selected.length} selected members of the fleet reported for fleet generation ${generation}${unselected}`,
    };
  }
  const missing = r.missing.map((m) => `${m.member} (${m.lastGeneration === undefined ? 'no report' : `last report for generation ${m.lastGeneration}`})`);
  return {
    type: 'Reported', status: 'False', reason: 'MembersNotReported',
    message: `${r.current.size}/${r.selected.length} selected members of the fleet reported for fleet generation ${generation}; not yet: ${names(missing)}${unselected}`,
  };
}

/**
 * The FeatureConfig's status on one member: aggregated as the host controller does from the current reports of
 * the fleet's selected members, plus the Reported condition. `objectGeneration` is the local object's
 * metadata.generation (observedGeneration); `fleetGeneration` the document's change count for the FeatureConfig.
 */
export function fleetConfigStatus(
  doc: FleetDoc, name: string, fleetGeneration: number, objectGeneration: number, prev: FeatureConfigStatus | undefined, now: string, self?: string,
): FeatureConfigStatus {
  const r = fleetReports(doc, name, fleetGeneration, self);
  const results = new Map<string, ClusterFeatureStatus>([...r.current].map(([m, x]) => [m, {
    name: m, ...(x.reachable !== undefined ? { reachable: x.reachable } : {}), features: x.features as ClusterFeatureStatus['features'],
  }]));
  const status = aggregateStatus(objectGeneration, r.selected, results, prev, now);
  const c = reportedCondition(r, fleetGeneration);
  const old = prev?.conditions?.find((p) => p.type === c.type);
  const reported: Condition = { ...c, observedGeneration: objectGeneration, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now };
  return { ...status, conditions: [...status.conditions ?? [], reported] };
}
