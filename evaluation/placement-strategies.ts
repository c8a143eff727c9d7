// The placement experiment's pure parts: mck8s's example workload as a
// stream of applications, the two baselines it is compared with, and the
// per-sample counts the report is made of.
//  - Workload: mck8s's manifests/examples/02_example_deployment_worst_fit.yaml
//    (MultiClusterDeployment "hello": numberOfLocations 3, replicas 2 per
//    location, one container requesting 1000m CPU and 1024Mi memory, limits
//    equal), repeated; every other application also requires a feature.
//  - (a) an even split over all members, capacity-blind: ⌊replicas / members⌋
//    each, the remainder one by one in an order hashed from the application
//    and member names (as KubeFed breaks ties), so 6 over 5 is 2/1/1/1/1.
//    (KubeFed's own ReplicaSchedulingPreference planner with equal weights
//    rounds each share up and gives 2/2/2/0/0; KubeFed with no preference at
//    all propagates the template's full replica count to every member.)
//  - (b) mck8s's worst fit as multi-cluster-scheduler/ writes it: per member
//    Σ over nodes of min(⌊free mCPU / request⌋, ⌊free MiB / request⌋), free =
//    allocatable − Σ container requests of the node's non-terminated pods;
//    members with capacity > 0 sorted by it (descending, stable); each of the
//    first numberOfLocations gets min(replicas, capacity); the overflow goes to
//    the next members, each up to its capacity; if any is left (no cloud
//    member) mck8s creates nothing and retries after 30 s (kopf.TemporaryError).
import { createHash } from 'node:crypto';

export interface App {
  name: string;
  /** Replicas per location (mck8s's spec.replicas). */
  replicas: number;
  /** mck8s's numberOfLocations. */
  locations: number;
  /** Requests of its one container, in millicores and MiB (mck8s parses "1000m" and "1024Mi" this way). */
  cpuMilli: number;
  memoryMi: number;
  /** A feature the application needs (fedfeat's name); undefined: none. */
  requires?: string;
  /** Seconds after the stream starts when it is submitted. */
  at: number;
}

export interface WorkloadOptions {
  apps: number;
  intervalSeconds: number;
  /** Every `requireEvery`-th application (1-based: 2 → the 2nd, 4th, …) requires `feature`; 0: none. */
  requireEvery: number;
  feature: string;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = { apps: 12, intervalSeconds: 5, requireEvery: 2, feature: 'networkpolicy' };

/** The stream: mck8s's example application, `apps` times, one every `intervalSeconds`. */
export function mck8sWorkload(o: WorkloadOptions = DEFAULT_WORKLOAD): App[] {
  return Array.from({ length: o.apps }, (_, i) => ({
    name: `hello-${String(i + 1).padStart(2, '0')}`, replicas: 2, locations: 3, cpuMilli: 1000, memoryMi: 1024,
    ...(o.requireEvery > 0 && (i + 1) % o.requireEvery === 0 ? { requires: o.feature } : {}),
    at: i * o.intervalSeconds,
  }));
}

export const totalReplicas = (a: App) => a.replicas * a.locations;

const hash = (s: string) => createHash('sha256').update(s).digest().readUInt32BE(0);

/** (a) The even split: ⌊total / members⌋ each, the remainder to members in an order hashed from key and name. */
export function evenSplit(total: number, members: string[], key: string): Record<string, number> {
  if (!members.length) return {};
  const base = Math.floor(total / members.length);
  const extra = new Set([...members].sort((a, b) => hash(`${key}/${a}`) - hash(`${key}/${b}`) || a.localeCompare(b)).slice(0, total % members.length));
  return Object.fromEntries([...members].sort().map((m) => [m, base + (extra.has(m) ? 1 : 0)] as const).filter(([, n]) => n > 0));
}

/** One node as mck8s sees it: allocatable minus container requests of its non-terminated pods (mCPU, MiB). */
export interface Mck8sNode {
  freeCpuMilli: number;
  freeMemoryMi: number;
}

/** mck8s's getMaximumReplicas: Σ over nodes of min(⌊free CPU / request⌋, ⌊free memory / request⌋). */
export function mck8sCapacity(nodes: Mck8sNode[], cpuMilli: number, memoryMi: number): number {
  return nodes.reduce((s, n) => s + Math.min(Math.floor(n.freeCpuMilli / cpuMilli), Math.floor(n.freeMemoryMi / memoryMi)), 0);
}

export interface Mck8sDecision {
  /** Replicas per member (empty when deferred). */
  assignments: Record<string, number>;
  /** Replicas left after the spill: mck8s then creates nothing and retries after 30 s. */
  overflow: number;
}

/** (b) mck8s's worst fit (create_fn with getFogAppLocations), without a cloud member. */
export function mck8sWorstFit(capacity: Record<string, number>, replicas: number, locations: number): Mck8sDecision {
  // Python's sorted() is stable: equal capacities keep the federation's order.
  const sorted = Object.entries(capacity).filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1]);
  // No eligible member (and no cloud member): "No clusters found at the fog level", retried in 30 s.
  if (!sorted.length) return { assignments: {}, overflow: replicas * locations };
  const out: Record<string, number> = {};
  let overflow = 0;
  for (const [name, max] of sorted.slice(0, locations)) {
    const n = max > replicas ? replicas : max;
    out[name] = n;
    overflow += replicas - n;
  }
  for (const [name, max] of sorted.slice(locations)) {
    if (overflow === 0) break;
    const n = max > overflow ? overflow : max;
    out[name] = n;
    overflow -= n;
  }
  return overflow > 0 ? { assignments: {}, overflow } : { assignments: out, overflow: 0 };
}

/** One pod of the experiment as sampled: member, application, phase. */
export interface PodSample {
  member: string;
  app: string;
  phase: string;
}

export interface Sample {
  /** Seconds after the stream started. */
  t: number;
  /** Replicas asked for by the applications submitted so far. */
  requested: number;
  running: number;
  /** Pods that exist but are not Running (Pending: no node fits). */
  pending: number;
  /** Replicas asked for with no pod at all (mck8s deferred them, fedfeat found no member, or not created yet). */
  unplaced: number;
  /** Pods of applications requiring a feature on members lacking it. */
  onLacking: number;
  perMember: Record<string, { running: number; pending: number }>;
}

/** Counts one sample (pure). `lacking`: feature → members without it. */
export function countSample(t: number, apps: App[], submitted: Set<string>, pods: PodSample[], lacking: Record<string, string[]>, members: string[]): Sample {
  const byName = new Map(apps.map((a) => [a.name, a]));
  const requested = apps.filter((a) => submitted.has(a.name)).reduce((s, a) => s + totalReplicas(a), 0);
  const perMember: Sample['perMember'] = Object.fromEntries(members.map((m) => [m, { running: 0, pending: 0 }]));
  let running = 0;
  let pending = 0;
  let onLacking = 0;
  for (const p of pods) {
    const a = byName.get(p.app);
    if (!a || !submitted.has(a.name)) continue;
    const pm = (perMember[p.member] ??= { running: 0, pending: 0 });
    if (p.phase === 'Running') {
      running++;
      pm.running++;
    } else {
      pending++;
      pm.pending++;
    }
    if (a.requires && (lacking[a.requires] ?? []).includes(p.member)) onLacking++;
  }
  return { t, requested, running, pending, unplaced: Math.max(0, requested - running - pending), onLacking, perMember };
}

/** Fraction of the replicas asked for that are not Running (Pending pods plus replicas with no pod). */
export const notRunningFraction = (s: Sample) => (s.requested ? (s.requested - s.running) / s.requested : 0);
/** Fraction of the pods created that are Pending (the paper's "pending pods"). */
export const pendingPodFraction = (s: Sample) => (s.running + s.pending ? s.pending / (s.running + s.pending) : 0);
