// The Latency placement policy's weights (pure): replicas go where users
// enter. Each origin (a member or a coordinate where users come in, with its
// share of the traffic) spreads its share over the members within maxRttMs of
// it like proxy-mity does: a fraction α by e^(−β·rtt), normalised over those
// members, and 1 − α evenly, so the nearest member gets most but others keep
// some replicas for resilience. Members out of reach of every origin are
// excluded with a reason. Distances come from Vivaldi coordinates.
import { distance, type Coordinate } from '../coordinates/vivaldi.js';

export interface LatencyOrigin {
  /** A member's name, or a label for a coordinate given in the spec. */
  name: string;
  coordinate: Coordinate;
  /** Share of the traffic entering here (any positive scale; normalised over the origins). */
  share: number;
}

export interface LatencyCandidate {
  name: string;
  coordinate: Coordinate;
}

export interface LatencyOptions {
  /** Fraction of an origin's share spread by nearness (the rest evenly); proxy-mity's α. */
  alpha: number;
  /** How fast nearness decays, per millisecond of RTT. */
  betaPerMs: number;
  /** Members farther than this from an origin take none of its share. */
  maxRttMs?: number;
}

export const DEFAULT_LATENCY: LatencyOptions = { alpha: 0.8, betaPerMs: 0.1 };

export interface LatencyWeights {
  /** Member → weight (sums to 1 over the members that got any). */
  weights: Map<string, number>;
  /** Members no origin reaches within maxRttMs, with why. */
  excluded: Map<string, string>;
  /** Every reachable member, nearest first by traffic-weighted RTT: the order overflow follows. */
  nearest: string[];
  /** Origins with no member within maxRttMs (their share went to their nearest member). */
  unreachedOrigins: string[];
}

const rttMs = (a: Coordinate, b: Coordinate) => distance(a, b) * 1000;

export function latencyWeights(origins: LatencyOrigin[], candidates: LatencyCandidate[], o: LatencyOptions = DEFAULT_LATENCY): LatencyWeights {
  if (!(o.alpha >= 0 && o.alpha <= 1)) throw new Error(`alpha must be between 0 and 1 (got ${o.alpha})`);
  if (!(o.betaPerMs >= 0)) throw new Error(`beta must be 0 or more (got ${o.betaPerMs})`);
  const weights = new Map<string, number>();
  const excluded = new Map<string, string>();
  const unreachedOrigins: string[] = [];
  const totalShare = origins.reduce((s, x) => s + Math.max(0, x.share), 0);
  if (!candidates.length || totalShare <= 0) {
    for (const c of candidates) excluded.set(c.name, 'no origin with a positive traffic share');
    return { weights, excluded, nearest: [], unreachedOrigins };
  }
  for (const origin of origins) {
    if (origin.share <= 0) continue;
    const share = origin.share / totalShare;
    const d = candidates.map((c) => ({ c, ms: rttMs(origin.coordinate, c.coordinate) }));
    let reach = o.maxRttMs === undefined ? d : d.filter((x) => x.ms <= o.maxRttMs!);
    if (!reach.length) {
      unreachedOrigins.push(origin.name);
      reach = [d.reduce((a, b) => (b.ms < a.ms ? b : a))];
    }
    // Subtracting the nearest RTT keeps e^(−β·rtt) from underflowing for far origins; the ratios are unchanged.
    const base = Math.min(...reach.map((x) => x.ms));
    const near = reach.map((x) => Math.exp(-o.betaPerMs * (x.ms - base)));
    const nearSum = near.reduce((a, b) => a + b, 0);
    reach.forEach((x, i) => {
      const w = share * (o.alpha * (near[i]! / nearSum) + (1 - o.alpha) / reach.length);
      weights.set(x.c.name, (weights.get(x.c.name) ?? 0) + w);
    });
  }
  for (const c of candidates) {
    if (weights.has(c.name)) continue;
    const closest = origins.filter((x) => x.share > 0)
      .map((x) => ({ name: x.name, ms: rttMs(x.coordinate, c.coordinate) }))
      .reduce((a, b) => (b.ms < a.ms ? b : a));
    excluded.set(c.name, `farther than maxRttMs ${o.maxRttMs} ms from every origin (nearest: ${closest.name} at ${closest.ms.toFixed(1)} ms)`);
  }
  const meanRtt = (c: LatencyCandidate) => origins.reduce((s, x) => s + (Math.max(0, x.share) / totalShare) * rttMs(x.coordinate, c.coordinate), 0);
  const nearest = candidates.filter((c) => weights.has(c.name))
    .map((c) => ({ name: c.name, ms: meanRtt(c) }))
    .sort((a, b) => a.ms - b.ms || a.name.localeCompare(b.name))
    .map((x) => x.name);
  return { weights, excluded, nearest, unreachedOrigins };
}

/**
 * Mean RTT (ms) from users to the replica that serves them, for a placement
 * (member → replicas): each origin's users go to the nearest member that has
 * a replica, the way a latency-aware load balancer routes them.
 */
export function meanOriginToReplicaRtt(plan: Map<string, number>, origins: LatencyOrigin[], coordinates: Map<string, Coordinate>): number {
  const holders = [...plan].filter(([, n]) => n > 0).map(([name]) => coordinates.get(name)).filter((c): c is Coordinate => c !== undefined);
  const total = origins.reduce((s, x) => s + Math.max(0, x.share), 0);
  if (!holders.length || total <= 0) return Number.NaN;
  return origins.reduce((s, x) => s + (Math.max(0, x.share) / total) * Math.min(...holders.map((h) => rttMs(x.coordinate, h))), 0);
}

/**
 * Mean RTT (ms) from users to replicas when requests are spread over all
 * replicas in proportion to their counts, as a plain multi-cluster Service
 * does: Σ over origins of share × Σ over members of (replicas / total) × RTT.
 */
export function meanOriginToReplicaRttSpread(plan: Map<string, number>, origins: LatencyOrigin[], coordinates: Map<string, Coordinate>): number {
  const held = [...plan].filter(([name, n]) => n > 0 && coordinates.has(name));
  const replicas = held.reduce((s, [, n]) => s + n, 0);
  const total = origins.reduce((s, x) => s + Math.max(0, x.share), 0);
  if (!replicas || total <= 0) return Number.NaN;
  return origins.reduce((s, x) => s + (Math.max(0, x.share) / total) *
    held.reduce((t, [name, n]) => t + (n / replicas) * rttMs(x.coordinate, coordinates.get(name)!), 0), 0);
}

/** Pure: `total` replicas in proportion to weights, largest remainders first (ties by name), none to a zero weight. */
export function proportional(total: number, weights: Map<string, number>): Map<string, number> {
  const sum = [...weights.values()].reduce((a, b) => a + Math.max(0, b), 0);
  const plan = new Map<string, number>();
  if (sum <= 0 || total <= 0) return plan;
  const rows = [...weights].map(([name, w]) => ({ name, exact: (total * Math.max(0, w)) / sum }));
  let left = total;
  for (const r of rows) {
    const n = Math.floor(r.exact);
    plan.set(r.name, n);
    left -= n;
  }
  rows.sort((a, b) => (b.exact - Math.floor(b.exact)) - (a.exact - Math.floor(a.exact)) || a.name.localeCompare(b.name));
  for (const r of rows) {
    if (left === 0) break;
    if (r.exact <= 0) continue;
    plan.set(r.name, plan.get(r.name)! + 1);
    left--;
  }
  return plan;
}
