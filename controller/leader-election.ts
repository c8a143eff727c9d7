// Leader election on a coordination.k8s.io Lease, like client-go's: one
// replica acts, the others wait; a leader that cannot renew within the renew
// deadline stops acting (the process exits and its Deployment restarts it).
// LeaderElector does the Lease work; in the controller it runs on its own
// thread (leader-election-thread.ts) so a busy main event loop cannot delay it.
import { KubeApiError, type KubeClient, type KubeObject } from '../kube-client/client.js';
import type { Logger } from './logger.js';
import { sleep } from '../kube-client/wait.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export type Lease = KubeObject & { spec: LeaseSpec };

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** One acquire-or-renew attempt, as reported to whoever watches the elector. */
export interface ElectionAttempt {
  /** When the attempt started (ms since the epoch); the renewTime it wrote if it holds the lease. */
  at: number;
  holding: boolean;
  error?: string;
}

export interface ElectionCallbacks {
  onStarted(): void;
  onLost(): void;
  onAttempt?(a: ElectionAttempt): void;
}

/** Pure: may `identity` take or keep the lease at `now`? */
export function canAcquire(spec: LeaseSpec | undefined, identity: string, now: number): boolean {
  if (!spec?.holderIdentity || spec.holderIdentity === identity) return true;
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
  return renewed + (spec.leaseDurationSeconds ?? 15) * 1000 < now;
}

/**
 * Pure: how long a renewal attempt started at `now` may wait for the API server,
 * given the last successful renewal. Every request of the attempt gets at most the
 * time left before the renew deadline (and never more than `capMs`), so a slow API
 * server cannot hold an attempt past the point where leadership is lost anyway.
 * 0 means the deadline has passed: leadership is lost.
 */
export function renewBudgetMs(lastRenew: number, now: number, renewDeadlineMs: number, capMs: number): number {
  return Math.max(0, Math.min(capMs, lastRenew + renewDeadlineMs - now));
}

export const micro = (d: Date) => d.toISOString().replace('Z', '000Z'); // MicroTime

export const leasePath = (namespace: string, name: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;
  private deadline?: NodeJS.Timeout;

  constructor(private readonly client: KubeClient, private readonly log: Logger, private readonly o: LeaderElectionOptions) {}

  isLeader(): boolean {
    return this.leading;
  }

  private path(): string {
    return leasePath(this.o.namespace, this.o.name);
  }

  /** One attempt to acquire or renew; true while we hold the lease. Each request waits at most timeoutMs. */
  async tryAcquireOrRenew(now = new Date(), timeoutMs = this.o.retryPeriodMs * 2): Promise<boolean> {
    const existing = await this.client.getOptional<Lease>(this.path(), { timeoutMs });
    if (!canAcquire(existing?.spec, this.o.identity, now.getTime())) return false;
    const takingOver = existing?.spec.holderIdentity !== this.o.identity;
    const spec: LeaseSpec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.round(this.o.leaseDurationMs / 1000),
      acquireTime: takingOver ? micro(now) : existing?.spec.acquireTime ?? micro(now),
      renewTime: micro(now),
      leaseTransitions: (existing?.spec.leaseTransitions ?? 0) + (takingOver && existing ? 1 : 0),
    };
    try {
      if (!existing) {
        await this.client.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`, {
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec },
          timeoutMs,
        });
      } else {
        // resourceVersion makes this a compare-and-swap: two candidates can never both win.
        await this.client.request('PUT', this.path(), { body: { ...existing, spec }, timeoutMs });
      }
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && (e.statusCode === 409 || e.statusCode === 422)) return false;
      throw e;
    }
  }

  /** Resolves once this replica leads (or release() stopped it); then keeps renewing and calls onLost if it cannot. */
  async run(cb: ElectionCallbacks): Promise<void> {
    while (!this.stopped) {
      const at = Date.now();
      try {
        const holding = await this.tryAcquireOrRenew(new Date(at));
        cb.onAttempt?.({ at, holding });
        if (holding) break;
      } catch (e) {
        cb.onAttempt?.({ at, holding: false, error: (e as Error).message });
        this.log.warn('leader election attempt failed', { error: (e as Error).message });
      }
      await sleep(this.o.retryPeriodMs);
    }
    if (this.stopped) return;
    this.leading = true;
    this.renewed(Date.now(), cb);
    this.log.info('became leader', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
    cb.onStarted();
    const renew = async () => {
      const at = Date.now();
      const budget = renewBudgetMs(this.lastRenew, at, this.o.renewDeadlineMs, this.o.retryPeriodMs * 2);
      try {
        const holding = budget > 0 && (await this.tryAcquireOrRenew(new Date(at), budget));
        cb.onAttempt?.({ at, holding });
        if (holding && this.leading) this.renewed(at, cb);
      } catch (e) {
        cb.onAttempt?.({ at, holding: false, error: (e as Error).message });
        this.log.warn('lease renewal failed', { error: (e as Error).message });
      }
      if (this.leading) this.timer = setTimeout(() => void renew(), this.o.retryPeriodMs);
    };
    this.timer = setTimeout(() => void renew(), this.o.retryPeriodMs);
  }

  /** A renewal at `at` succeeded: leadership now ends renewDeadline after it unless renewed again. */
  private renewed(at: number, cb: ElectionCallbacks): void {
    this.lastRenew = at;
    if (this.deadline) clearTimeout(this.deadline);
    // Its own timer rather than a check after each attempt: a request hanging past
    // the deadline must not postpone giving up.
    this.deadline = setTimeout(() => {
      if (!this.leading) return;
      this.leading = false;
      if (this.timer) clearTimeout(this.timer);
      this.log.error('lost leadership', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity, lastRenew: new Date(this.lastRenew).toISOString() });
      cb.onLost();
    }, Math.max(0, at + this.o.renewDeadlineMs - Date.now()));
  }

  /** Gives the lease up on clean shutdown so a standby takes over at once; also ends a pending acquisition. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.deadline) clearTimeout(this.deadline);
    if (!this.leading) return;
    this.leading = false;
    const existing = await this.client.getOptional<Lease>(this.path(), { timeoutMs: this.o.retryPeriodMs * 2 }).catch(() => undefined);
    if (existing?.spec.holderIdentity !== this.o.identity) return;
    await this.client.request('PUT', this.path(), {
      body: { ...existing, spec: { ...existing.spec, holderIdentity: '', renewTime: micro(new Date(0)) } },
      timeoutMs: this.o.retryPeriodMs * 2,
    }).catch(() => undefined);
  }
}
