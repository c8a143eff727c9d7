// Three ways to divide a number of replicas over members, each honouring a
// per-member floor (min) and ceiling (max: the preference's maxReplicas and
// the member's capacity together). Pure.
//  - weighted: KubeFed's ReplicaSchedulingPreference planner — mins first,
//    then rounds of shares proportional to weight (fractions rounded up),
//    members that hit their ceiling dropping out, until nothing is left or
//    nobody can take more;
//  - waterFill: worst fit per replica — each replica to the member with the
//    most room left, computed at once as a water level;
//  - fill: in the given order, each member as full as it can be (best fit).
import { createHash } from 'node:crypto';

export interface Slot {
  name: string;
  /** Replicas this member should get first (capped by max and by what is left). */
  min: number;
  /** Most replicas (preference max and capacity together). */
  max: number;
  /** Share of what is left after the mins (weighted only). */
  weight: number;
  /** Room by which waterFill ranks members (its free capacity); defaults to max. */
  room?: number;
}

export interface Division {
  plan: Map<string, number>;
  /** Replicas no slot could take. */
  remaining: number;
}

/** Every slot's minimum first (in slot order, as far as the total goes); the rest is left to the policy. */
export function minsFirst(total: number, slots: Slot[]): Division {
  const plan = new Map<string, number>();
  let remaining = total;
  for (const s of slots) {
    const n = Math.max(0, Math.min(s.min, s.max, remaining));
    plan.set(s.name, n);
    remaining -= n;
  }
  return { plan, remaining };
}

/** Stable tie-break among equal weights that does not always favour the alphabetically first member (KubeFed hashes too). */
const tieHash = (name: string, key: string) => createHash('sha256').update(`${key}/${name}`).digest().readUInt32BE(0);

/** KubeFed's weighted planner: heavier weight first (ties by a hash of member and placement), mins, then proportional rounds. */
export function weighted(total: number, slots: Slot[], key: string): Division {
  const ordered = [...slots].sort((a, b) => b.weight - a.weight || tieHash(a.name, key) - tieHash(b.name, key) || a.name.localeCompare(b.name));
  const { plan, remaining: afterMins } = minsFirst(total, ordered);
  let remaining = afterMins;
  let active = ordered.filter((s) => s.weight > 0 && plan.get(s.name)! < s.max);
  let modified = true;
  while (modified && remaining > 0 && active.length) {
    modified = false;
    const weightSum = active.reduce((s, x) => s + x.weight, 0);
    const round = remaining;
    const next: Slot[] = [];
    for (const s of active) {
      const start = plan.get(s.name)!;
      const share = Math.min(Math.ceil((round * s.weight) / weightSum), remaining);
      const total2 = Math.min(start + share, s.max);
      remaining -= total2 - start;
      plan.set(s.name, total2);
      if (total2 > start) modified = true;
      if (total2 < s.max) next.push(s);
    }
    active = next;
  }
  return { plan, remaining };
}

/**
 * Worst fit, replica by replica: each goes to the member with the most room left (ties in the given order). Done
 * at once: the water level L where Σ min(max − min, max(0, room − L)) first fits, then single replicas to the members
 * that could take one more at L − 1.
 */
export function waterFill(total: number, slots: Slot[]): Division {
  const { plan, remaining: afterMins } = minsFirst(total, slots);
  const rows = slots.map((s) => {
    const given = plan.get(s.name)!;
    return { s, given, add: Math.max(0, s.max - given), room: (s.room ?? s.max) - given };
  });
  const at = (level: number) => rows.map((r) => Math.min(r.add, Math.max(0, r.room - level)));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  if (afterMins <= 0 || sum(at(Number.NEGATIVE_INFINITY)) === 0) return { plan, remaining: afterMins };
  const all = sum(rows.map((r) => r.add));
  if (all <= afterMins) {
    rows.forEach((r) => plan.set(r.s.name, r.given + r.add));
    return { plan, remaining: afterMins - all };
  }
  // Smallest level whose total fits; rooms can be negative (a full member) and at most the largest room.
  let lo = Math.min(...rows.map((r) => r.room - r.add)) - 1;
  let hi = Math.max(...rows.map((r) => r.room));
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (sum(at(mid)) <= afterMins) hi = mid;
    else lo = mid + 1;
  }
  const x = at(hi);
  let left = afterMins - sum(x);
  const below = at(hi - 1);
  // Members that take one more just below the level have the most room left; ties keep the given order.
  const extra = rows.map((r, i) => ({ r, i })).filter(({ i }) => below[i]! > x[i]!).sort((a, b) => (b.r.room - x[b.i]!) - (a.r.room - x[a.i]!) || a.i - b.i);
  for (const { i } of extra) {
    if (left === 0) break;
    x[i]! += 1;
    left -= 1;
  }
  rows.forEach((r, i) => plan.set(r.s.name, r.given + x[i]!));
  return { plan, remaining: left };
}

/** Best fit: mins first, then each member in the given order as full as it can be. */
export function fill(total: number, slots: Slot[]): Division {
  const { plan, remaining: afterMins } = minsFirst(total, slots);
  let remaining = afterMins;
  for (const s of slots) {
    if (remaining === 0) break;
    const have = plan.get(s.name)!;
    const n = Math.max(0, Math.min(s.max - have, remaining));
    plan.set(s.name, have + n);
    remaining -= n;
  }
  return { plan, remaining };
}
