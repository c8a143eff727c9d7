// The Latency policy's part of one decision (pure): resolve the spec's origins
// to coordinates (a member's ClusterCoordinate, or a coordinate given in the
// spec), drop qualifying members without a coordinate or beyond maxRttMs
// (with a reason for status), weigh the rest like proxy-mity (latency.ts),
// and divide replicas by those weights capped by capacity, the excess going
// to the next nearest member with room. Feature filtering and capacity
// (filter.ts) have run before; plan.ts calls divideByShares.
import { DEFAULT_LATENCY_ALPHA, DEFAULT_LATENCY_BETA, type ExcludedMember, type LatencySpec } from '../api/featureplacement.js';
import { fromMilliseconds } from '../api/cluster-coordinate.js';
import { DEFAULT_VIVALDI, distance, isValidCoordinate, type Coordinate } from '../coordinates/vivaldi.js';
import { minsFirst, type Division, type Slot } from './divide.js';
import type { Qualified } from './filter.js';
import { latencyWeights, proportional, type LatencyOrigin } from './latency.js';

export interface LatencyDecision {
  /** Qualified members that have a coordinate and are within reach, nearest first. */
  qualified: Qualified[];
  excluded: ExcludedMember[];
  /** Member → share of the replicas (sums to 1 over `qualified`). */
  weights: Record<string, number>;
  /** Member → traffic-weighted predicted RTT from the origins (ms), for status. */
  rttMs: Record<string, number>;
  /** Origins that could not be used, with why (reported as a Warning). */
  unresolved: string[];
  /** Origins with no member within maxRttMs (served by their nearest member anyway). */
  unreached: string[];
}

const originLabel = (o: LatencySpec['origins'][number], i: number) => o.member ?? o.name ?? `origins[${i}]`;

/** The spec's origins as coordinates; members' from `coordinates` (member name → coordinate). */
export function resolveOrigins(spec: LatencySpec, coordinates: Map<string, Coordinate>): { origins: LatencyOrigin[]; unresolved: string[] } {
  const origins: LatencyOrigin[] = [];
  const unresolved: string[] = [];
  spec.origins.forEach((o, i) => {
    const name = originLabel(o, i);
    const share = o.share ?? 1;
    if (o.member !== undefined) {
      const c = coordinates.get(o.member);
      if (!c) unresolved.push(`${name}: member has no ClusterCoordinate yet`);
      else if (!isValidCoordinate(c, DEFAULT_VIVALDI)) unresolved.push(`${name}: the member's ClusterCoordinate is not a usable ${DEFAULT_VIVALDI.dimensionality}-dimensional coordinate`);
      else origins.push({ name, coordinate: c, share });
      return;
    }
    if (!o.coordinate) return void unresolved.push(`${name}: neither member nor coordinate given`);
    const c = fromMilliseconds({ vec: o.coordinate.vec, height: o.coordinate.height ?? 0, adjustment: o.coordinate.adjustment ?? 0, error: 0 });
    if (!isValidCoordinate(c, DEFAULT_VIVALDI)) unresolved.push(`${name}: coordinate must have ${DEFAULT_VIVALDI.dimensionality} finite numbers in vec (got ${o.coordinate.vec.length})`);
    else origins.push({ name, coordinate: c, share });
  });
  return { origins, unresolved };
}

export function decideLatency(spec: LatencySpec, qualified: Qualified[], coordinates: Map<string, Coordinate>): LatencyDecision {
  const { origins, unresolved } = resolveOrigins(spec, coordinates);
  const excluded: ExcludedMember[] = [];
  const located = qualified.filter((q) => {
    const c = coordinates.get(q.name);
    if (c && isValidCoordinate(c, DEFAULT_VIVALDI)) return true;
    excluded.push({ name: q.name, reason: 'CoordinateUnknown', message: 'no ClusterCoordinate for this member yet (the controller writes one after its first health probes)' });
    return false;
  });
  const empty = { qualified: [], weights: {}, rttMs: {}, unresolved, unreached: [] };
  if (!origins.some((o) => o.share > 0)) {
    const why = unresolved.length ? `no origin has a coordinate: ${unresolved.join('; ')}` : 'no origin has a positive traffic share';
    for (const q of located) excluded.push({ name: q.name, reason: 'NoOrigin', message: why.slice(0, 1024) });
    return { ...empty, excluded };
  }
  const w = latencyWeights(origins, located.map((q) => ({ name: q.name, coordinate: coordinates.get(q.name)! })), {
    alpha: spec.alpha ?? DEFAULT_LATENCY_ALPHA, betaPerMs: spec.beta ?? DEFAULT_LATENCY_BETA, ...(spec.maxRttMs !== undefined ? { maxRttMs: spec.maxRttMs } : {}),
  });
  for (const [name, message] of w.excluded) excluded.push({ name, reason: 'BeyondMaxRtt', message });
  const total = origins.reduce((s, o) => s + Math.max(0, o.share), 0);
  const rttMs: Record<string, number> = {};
  for (const name of w.nearest) {
    const c = coordinates.get(name)!;
    rttMs[name] = Math.round(100 * origins.reduce((s, o) => s + (Math.max(0, o.share) / total) * distance(o.coordinate, c) * 1000, 0)) / 100;
  }
  const byName = new Map(located.map((q) => [q.name, q]));
  return {
    qualified: w.nearest.map((n) => byName.get(n)!),
    excluded,
    weights: Object.fromEntries(w.weights),
    rttMs,
    unresolved,
    unreached: w.unreachedOrigins,
  };
}

/**
 * Latency division: mins first, then what is left in proportion to the weights (largest remainders), each member
 * capped by its room; what a member cannot take goes to the next members in the given order (nearest first) that
 * still have room.
 */
export function divideByShares(total: number, slots: Slot[], weights: Record<string, number>): Division {
  const { plan, remaining } = minsFirst(total, slots);
  const share = proportional(remaining, new Map(slots.map((s) => [s.name, weights[s.name] ?? 0])));
  let excess = 0;
  for (const s of slots) {
    const want = share.get(s.name) ?? 0;
    const k = Math.min(want, s.max - plan.get(s.name)!);
    plan.set(s.name, plan.get(s.name)! + k);
    excess += want - k;
  }
  // Nothing had a weight (every weight 0): the whole remainder is excess, placed nearest first.
  if (!share.size) excess = remaining;
  for (const s of slots) {
    if (excess === 0) break;
    const k = Math.max(0, Math.min(excess, s.max - plan.get(s.name)!));
    plan.set(s.name, plan.get(s.name)! + k);
    excess -= k;
  }
  return { plan, remaining: excess };
}
