// Leader election on a coordination.k8s.io Lease, like client-go's: one
// replica acts, the others wait; a leader that cannot renew within the renew
// deadline stops acting (the process exits and its Deployment restarts it).
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

type Lease = KubeObject & { spec: LeaseSpec };

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Pure: may `identity` take or keep the lease at `now`? */
export function canAcquire(spec: LeaseSpec | undefined, identity: string, now: number): boolean {
  if (!spec?.holderIdentity || spec.holderIdentity === identity) return true;
  const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
  return renewed + (spec.leaseDurationSeconds ?? 15) * 1000 < now;
}

const micro = (d: Date) => d.toISOString().replace('Z', '000Z'); // MicroTime

export class LeaderElector {
  private leading = false;
  private lastRenew = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly client: KubeClient, private readonly log: Logger, private readonly o: LeaderElectionOptions) {}

  isLeader(): boolean {
    return this.leading;
  }

  private path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases/${this.o.name}`;
  }

  /** One attempt to acquire or renew; true while we hold the lease. */
  async tryAcquireOrRenew(now = new Date()): Promise<boolean> {
    const existing = await this.client.getOptional<Lease>(this.path(), { timeoutMs: this.o.retryPeriodMs * 2 });
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
        await this.client.post(`/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec,
        });
      } else {
        // resourceVersion makes this a compare-and-swap: two candidates can never both win.
        await this.client.request('PUT', this.path(), { body: { ...existing, spec }, timeoutMs: this.o.retryPeriodMs * 2 });
      }
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && (e.statusCode === 409 || e.statusCode === 422)) return false;
      throw e;
    }
  }

  /** Blocks until this replica leads; then keeps renewing and calls onLost if it cannot. */
  async run(onStarted: () => void, onLost: () => void): Promise<void> {
    for (;;) {
      try {
        if (await this.tryAcquireOrRenew()) break;
      } catch (e) {
        this.log.warn('leader election attempt failed', { error: (e as Error).message });
      }
      await sleep(this.o.retryPeriodMs);
    }
    this.leading = true;
    this.lastRenew = Date.now();
    this.log.info('became leader', { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
    onStarted();
    const renew = async () => {
      try {
        if (await this.tryAcquireOrRenew()) this.lastRenew = Date.now();
      } catch (e) {
        this.log.warn('lease renewal failed', { error: (e as Error).message });
      }
      if (Date.now() - this.lastRenew > this.o.renewDeadlineMs) {
        this.leading = false;
        this.log.error('lost leadership', { lease: `${this.o.namespace}/${this.o.name}` });
        onLost();
        return;
      }
      this.timer = setTimeout(renew, this.o.retryPeriodMs);
    };
    this.timer = setTimeout(renew, this.o.retryPeriodMs);
  }

  /** Gives the lease up on clean shutdown so a standby takes over at once. */
  async release(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    const existing = await this.client.getOptional<Lease>(this.path());
    if (existing?.spec.holderIdentity !== this.o.identity) return;
    await this.client.request('PUT', this.path(), {
      body: { ...existing, spec: { ...existing.spec, holderIdentity: '', renewTime: micro(new Date(0)) } },
    }).catch(() => undefined);
  }
}
