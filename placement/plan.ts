// The placement decision (pure): from the qualifying members and their
// capacity, which members get how many replicas.
//  - Order: WorstFit most free capacity first, BestFit least first (mck8s's
//    sort), Weighted heaviest weight first, Latency nearest to the origins
//    first (the order of `qualified`, from latency-decide.ts). Without rebalance, members that
//    already hold replicas come first, so a decision moves only what must move.
//  - numberOfClusters members are chosen in that order (mck8s's
//    numberOfLocations); the others only take overflow (overflow: Next).
//  - Duplicated: each chosen member gets min(replicas, its capacity), the
//    shortfall spills to the next members in order (mck8s).
//  - Divided: replicas already placed stay (rebalance: false) up to the
//    member's capacity; the rest is divided: WorstFit each replica where the
//    most room is left, BestFit fill in order, Weighted by KubeFed's planner,
//    Latency by the proxy-mity weights capped by room, excess to the nearest.
// Per-member minReplicas/maxReplicas/weight come from replicaScheduling
// (member name, else "*"; with any key present a member matching none gets
// nothing, as in KubeFed).
import type { ClusterPreferences, Overflow, PlacementPolicy, ReplicaSchedulingType } from '../api/featureplacement.js';
import { fill, waterFill, weighted, type Slot } from './divide.js';
import type { Qualified } from './filter.js';
import { divideByShares } from './latency-decide.js';

export interface PlanInput {
  replicas: number;
  policy: PlacementPolicy;
  type: ReplicaSchedulingType;
  numberOfClusters?: number;
  overflow: Overflow;
  preferences: Record<string, ClusterPreferences>;
  qualified: Qualified[];
  /** Replicas each member holds now; given when the decision must not move running replicas (rebalance: false). */
  current?: Record<string, number>;
  /** Replicas Pending past unschedulableSeconds per member: they move away, and that member takes no new ones. */
  stuck?: Record<string, number>;
  /** namespace/name: KubeFed-style tie-break between equal weights. */
  key: string;
  /** Latency: each member's share of the replicas (latency-decide.ts). */
  latencyWeights?: Record<string, number>;
}

export interface Plan {
  /** Replicas per member, only members with at least one. */
  assignments: Record<string, number>;
  /** Replicas no member could take. */
  unschedulable: number;
  /** Members in the order the policy ranked them. */
  order: string[];
}

export function preferencesFor(prefs: Record<string, ClusterPreferences>, member: string): ClusterPreferences | undefined {
  if (Object.keys(prefs).length === 0) return {};
  return prefs[member] ?? prefs['*'];
}

interface Row {
  name: string;
  capacity: number;
  pref: ClusterPreferences;
  /** Most replicas this member may hold in this decision. */
  cap: number;
  /** Takes no new replicas (some are stuck Pending there). */
  frozen: boolean;
  held: number;
}

function rows(input: PlanInput): Row[] {
  const out: Row[] = [];
  for (const q of input.qualified) {
    const pref = preferencesFor(input.preferences, q.name);
    if (!pref) continue;
    const held = input.current?.[q.name] ?? 0;
    const stuck = input.stuck?.[q.name] ?? 0;
    let cap = Math.min(q.capacity, pref.maxReplicas ?? Number.POSITIVE_INFINITY);
    if (stuck > 0) cap = Math.min(cap, Math.max(0, held - stuck));
    out.push({ name: q.name, capacity: q.capacity, pref, cap, frozen: stuck > 0, held });
  }
  return out;
}

function ordered(input: PlanInput, rs: Row[]): Row[] {
  const byPolicy = (a: Row, b: Row): number => {
    if (input.policy === 'WorstFit') return b.capacity - a.capacity || a.name.localeCompare(b.name);
    if (input.policy === 'BestFit') return a.capacity - b.capacity || a.name.localeCompare(b.name);
    if (input.policy === 'Latency') return 0; // qualified comes nearest first; the sort is stable
    return (b.pref.weight ?? 1) - (a.pref.weight ?? 1) || a.name.localeCompare(b.name);
  };
  // Members holding replicas keep their place ahead of the others (stickiness), frozen ones too for what runs there.
  const rank = (r: Row) => (input.current && r.held > 0 ? 0 : 1);
  return [...rs].sort((a, b) => rank(a) - rank(b) || byPolicy(a, b));
}

export function plan(input: PlanInput): Plan {
  const order = ordered(input, rows(input));
  const n = input.numberOfClusters ?? order.length;
  const chosen = order.slice(0, n);
  const rest = order.slice(n);
  const assignments = new Map<string, number>();
  const add = (name: string, k: number) => k > 0 && assignments.set(name, (assignments.get(name) ?? 0) + k);

  let unschedulable: number;
  if (input.type === 'Duplicated') {
    let overflow = 0;
    for (const r of chosen) {
      const k = Math.min(input.replicas, r.cap);
      add(r.name, k);
      overflow += input.replicas - k;
    }
    unschedulable = input.overflow === 'Next' ? spill(overflow, rest, assignments, add) : overflow;
    // Locations no qualifying member fills (fewer members than numberOfClusters, or none at all) are replicas not placed too.
    unschedulable += Math.max(0, (input.numberOfClusters ?? 1) - chosen.length) * input.replicas;
  } else {
    // What stays where it is, scaled down from the last-ranked members when more is held than asked for.
    const keep = new Map(chosen.map((r) => [r.name, input.current ? Math.min(r.held, r.cap) : 0]));
    let kept = [...keep.values()].reduce((a, b) => a + b, 0);
    for (const r of [...chosen].reverse()) {
      if (kept <= input.replicas) break;
      const cut = Math.min(keep.get(r.name)!, kept - input.replicas);
      keep.set(r.name, keep.get(r.name)! - cut);
      kept -= cut;
    }
    for (const [name, k] of keep) add(name, k);
    const slots: Slot[] = chosen.filter((r) => !r.frozen).map((r) => {
      const k = keep.get(r.name)!;
      return { name: r.name, min: Math.max(0, (r.pref.minReplicas ?? 0) - k), max: Math.max(0, r.cap - k), weight: r.pref.weight ?? 1, room: r.capacity - k };
    });
    const missing = input.replicas - kept;
    const div = input.policy === 'WorstFit' ? waterFill(missing, slots) : input.policy === 'BestFit' ? fill(missing, slots)
      : input.policy === 'Latency' ? divideByShares(missing, slots, input.latencyWeights ?? {}) : weighted(missing, slots, input.key);
    for (const [name, k] of div.plan) add(name, k);
    unschedulable = input.overflow === 'Next' ? spill(div.remaining, rest, assignments, add) : div.remaining;
  }
  const out: Record<string, number> = {};
  for (const r of order) if (assignments.get(r.name)) out[r.name] = assignments.get(r.name)!;
  return { assignments: out, unschedulable, order: order.map((r) => r.name) };
}

/** Overflow to the next members in order, each as full as its capacity allows (mck8s); returns what is left. */
function spill(overflow: number, rest: Row[], assignments: Map<string, number>, add: (name: string, k: number) => void): number {
  let left = overflow;
  for (const r of rest) {
    if (left === 0) break;
    if (r.frozen) continue;
    const k = Math.min(left, r.cap - (assignments.get(r.name) ?? 0));
    add(r.name, k);
    left -= Math.max(0, k);
  }
  return left;
}
