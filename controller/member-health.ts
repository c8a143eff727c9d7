// Member health checking that scales to thousands of members: each member is
// probed once per period at its own phase (so probes are spread evenly over
// the period, not fired all at once), at most `concurrency` probes run at a
// time (so open connections and host writes are bounded), and the
// KubeFedCluster status is written only when what it says changes or its
// lastProbeTime has grown older than a slow refresh interval.
import PQueue from 'p-queue';
import type { ClusterCondition } from '../api/kubefed.js';

/** FNV-1a: a stable, well-spread 32-bit hash, so a member keeps its phase across restarts and replicas. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Pure: the member's offset within the period, in [0, periodMs). */
export function phaseOf(name: string, periodMs: number): number {
  return Math.floor((fnv1a(name) / 2 ** 32) * periodMs);
}

/** Pure: the first time after `now` that falls on the member's phase (t ≡ phase mod period). */
export function nextDue(name: string, now: number, periodMs: number): number {
  const phase = phaseOf(name, periodMs);
  const into = (((now - phase) % periodMs) + periodMs) % periodMs;
  return now + (periodMs - into);
}

/** What the Ready/Offline conditions say, without times: a change here is worth a write. */
export function conditionsSignature(conditions: Array<Pick<ClusterCondition, 'type' | 'status' | 'reason'>>): string {
  return conditions.map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`).sort().join(',');
}

export interface StatusWriteInput {
  /** Signature of the conditions the latest probe calls for. */
  desired: string;
  /** The KubeFedCluster status as the host's informer cache has it. */
  cached?: { signature: string; /** oldest lastProbeTime of its conditions (ms), 0 if none */ probedAt: number };
  /** What this process wrote last, and when (the cache may not show it yet). */
  own?: { signature: string; at: number };
  now: number;
  /** Longest a lastProbeTime may grow old while nothing changes. */
  refreshMs: number;
}

/**
 * Pure: whether to write the KubeFedCluster status now. Written on a change of
 * what the conditions say (Ready/Offline status or reason; not the error text,
 * which varies between failed probes), and otherwise only to refresh a
 * lastProbeTime older than refreshMs. The informer cache is the reference, so
 * a restarted or failed-over controller does not rewrite thousands of
 * unchanged statuses; our own last write stands in for it until the cache
 * shows it, unless the cache shows a newer, different status (someone else
 * wrote since), which is corrected at once.
 */
export function shouldWriteStatus(i: StatusWriteInput): boolean {
  const own = i.own?.signature === i.desired ? i.own.at : undefined;
  if (i.cached?.signature === i.desired) return i.now - Math.max(i.cached.probedAt, own ?? 0) >= i.refreshMs;
  if (own === undefined) return true; // a change
  if (i.cached && i.cached.probedAt > own) return true; // overwritten after our write
  return i.now - own >= i.refreshMs;
}

/** Pure: the cached status in the shape shouldWriteStatus compares. */
export function cachedStatus(conditions: ClusterCondition[] | undefined): StatusWriteInput['cached'] {
  const ours = (conditions ?? []).filter((c) => c.type === 'Ready' || (c.type === 'Offline' && c.status === 'True'));
  if (!ours.length) return undefined;
  const times = ours.map((c) => Date.parse(c.lastProbeTime));
  return { signature: conditionsSignature(ours), probedAt: times.some((t) => !Number.isFinite(t)) ? 0 : Math.min(...times) };
}

export interface SchedulerOptions {
  periodMs: number;
  /** Most probes in flight at once (each holds one connection to its member). */
  concurrency: number;
}

/**
 * Runs `probe(name)` for every added member once per period at the member's
 * phase, through one bounded queue. A member whose previous probe is still
 * queued or running skips that turn rather than piling up behind a slow or
 * dead API server; skips are counted (a steady count means the cap is too low
 * for the fleet's latency).
 */
export class ProbeScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Set<string>();
  private readonly queue: PQueue;
  private stopped = false;
  readonly stats = { probes: 0, skipped: 0, maxInFlight: 0 };

  constructor(
    private readonly o: SchedulerOptions,
    private readonly probe: (name: string) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {
    this.queue = new PQueue({ concurrency: Math.max(1, o.concurrency) });
  }

  /** Starts probing a member: once now (a new member should not wait a period to be known), then at its phase. */
  add(name: string): void {
    if (this.stopped || this.timers.has(name)) return;
    this.arm(name); // first: the queue may start the probe synchronously, and it runs only for members still scheduled
    this.enqueue(name);
  }

  remove(name: string): void {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
  }

  has(name: string): boolean {
    return this.timers.has(name);
  }

  /** Probes now, through the queue (e.g. after the member's registration changed). */
  probeNow(name: string): void {
    if (this.timers.has(name)) this.enqueue(name);
  }

  get inFlight(): number {
    return this.queue.pending;
  }

  get queued(): number {
    return this.queue.size;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.clear();
  }

  /** Resolves when nothing is queued or running (tests). */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  private arm(name: string, after = this.now()): void {
    const due = nextDue(name, Math.max(after, this.now()), this.o.periodMs);
    const t = setTimeout(() => {
      if (!this.timers.has(name)) return;
      this.enqueue(name);
      // From the due time, not the clock: a timer that fires a millisecond early must not make a second turn.
      this.arm(name, due);
    }, due - this.now());
    t.unref?.();
    this.timers.set(name, t);
  }

  private enqueue(name: string): void {
    if (this.pending.has(name)) {
      this.stats.skipped++;
      return;
    }
    this.pending.add(name);
    void this.queue.add(async () => {
      this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.queue.pending);
      try {
        if (!this.timers.has(name)) return; // removed while queued
        this.stats.probes++;
        await this.probe(name);
      } catch {
        // probe() reports its own failures; nothing may escape into an unhandled rejection.
      } finally {
        this.pending.delete(name);
      }
    });
  }
}
