// From the Deployments members run now to the plan, without dropping below
// what runs (karmada#2281): members that grow get their replicas at once;
// replicas on members that shrink or leave are removed only as replicas
// Ready elsewhere cover them (replicas that are not Ready there go at once).
// Pure: the controller applies the result and decides again when pods change.

export interface MemberNow {
  /** Replicas its Deployment asks for (0: none there). */
  replicas: number;
  /** Its Deployment's Ready replicas. */
  ready: number;
}

export interface Transition {
  /** Replica count to apply per member (members getting a Deployment or a new count). */
  apply: Record<string, number>;
  /** Members whose Deployment goes. */
  remove: string[];
  /** Replicas kept on members that should shrink until replacements are Ready. */
  held: number;
}

/**
 * `order`: members to shrink first (e.g. those no longer qualified). A member absent from `now` has no Deployment;
 * members unreachable now are left out of `now` by the caller and left alone.
 */
export function transition(planned: Record<string, number>, now: Record<string, MemberNow>, order: string[] = []): Transition {
  const apply: Record<string, number> = {};
  const remove: string[] = [];
  const want = Object.values(planned).reduce((a, b) => a + b, 0);
  const readyNow = Object.values(now).reduce((a, b) => a + b.ready, 0);
  for (const [m, n] of Object.entries(planned)) if ((now[m]?.replicas ?? -1) < n) apply[m] = n;
  // Ready replicas beyond what the plan wants may go; Ready replicas on growing members count as cover
  // only once Ready, which readyNow already says.
  let budget = Math.max(0, readyNow - want);
  let held = 0;
  const shrinking = Object.keys(now).filter((m) => now[m]!.replicas > (planned[m] ?? 0));
  const rank = (m: string) => (order.includes(m) ? order.indexOf(m) : order.length);
  shrinking.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const m of shrinking) {
    const { replicas, ready } = now[m]!;
    const target = planned[m] ?? 0;
    const excess = replicas - target;
    const unready = Math.min(excess, Math.max(0, replicas - ready));
    const readyCut = Math.min(excess - unready, budget);
    budget -= readyCut;
    const next = replicas - unready - readyCut;
    held += next - target;
    if (next === 0) remove.push(m);
    else if (next !== replicas) apply[m] = next;
  }
  return { apply, remove, held };
}
