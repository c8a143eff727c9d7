import { KubeApiError, type KubeClient } from '../../../kube-client/client.js';
import { canAcquire, LeaderElector, renewBudgetMs, type ElectionAttempt, type Lease } from '../../../controller/leader-election.js';
import { createLogger } from '../../../controller/logger.js';
import { eventLoopLagSeconds } from '../../../controller/run.js';
import { sleep } from '../../../kube-client/wait.js';

describe('leader lease', () => {
  const now = Date.parse('2026-01-01T00:01:00Z');
  it('may take a free lease or keep its own', () => {
    expect(canAcquire(undefined, 'me', now)).toBe(true);
    expect(canAcquire({}, 'me', now)).toBe(true);
    expect(canAcquire({ holderIdentity: 'me', renewTime: '2026-01-01T00:00:59Z', leaseDurationSeconds: 15 }, 'me', now)).toBe(true);
  });
  it('may not take a lease another holder renewed within its duration', () => {
    expect(canAcquire({ holderIdentity: 'other', renewTime: '2026-01-01T00:00:50Z', leaseDurationSeconds: 15 }, 'me', now)).toBe(false);
    expect(canAcquire({ holderIdentity: 'other', renewTime: '2026-01-01T00:00:40Z', leaseDurationSeconds: 15 }, 'me', now)).toBe(true);
  });
  it('reads MicroTime renew times', () => {
    expect(canAcquire({ holderIdentity: 'other', renewTime: '2026-01-01T00:00:50.123456Z', leaseDurationSeconds: 15 }, 'me', now)).toBe(false);
  });
});

describe('renewBudgetMs', () => {
  it('gives a renewal the time left before the renew deadline, capped', () => {
    expect(renewBudgetMs(1_000, 3_000, 10_000, 4_000)).toBe(4_000);
    expect(renewBudgetMs(1_000, 9_000, 10_000, 4_000)).toBe(2_000);
    expect(renewBudgetMs(1_000, 11_000, 10_000, 4_000)).toBe(0);
    expect(renewBudgetMs(1_000, 20_000, 10_000, 4_000)).toBe(0);
  });
});

describe('eventLoopLagSeconds', () => {
  it('is the histogram max in seconds, 0 without samples', () => {
    expect(eventLoopLagSeconds({ max: 20_500_000_000, count: 3 })).toBe(20.5);
    expect(eventLoopLagSeconds({ max: 0, count: 0 })).toBe(0);
  });
});

/** An API server holding one Lease, with a switch to make every request hang. */
function fakeApi() {
  let lease: Lease | undefined;
  let rv = 0;
  const state = { hang: false, requests: 0, lease: () => lease };
  const hangOr = <T>(fn: () => T): Promise<T> => {
    state.requests++;
    return state.hang ? new Promise<T>(() => undefined) : Promise.resolve().then(fn);
  };
  const client = {
    getOptional: () => hangOr(() => (lease ? structuredClone(lease) : undefined)),
    request: (method: string, _path: string, opts: { body?: unknown }) => hangOr(() => {
      const body = opts.body as Lease;
      if (method === 'PUT' && body.metadata.resourceVersion !== lease?.metadata.resourceVersion) throw new KubeApiError('PUT', _path, 409, 'conflict', '');
      lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return lease;
    }),
  };
  // Only the two methods LeaderElector uses.
  return { client: client as unknown as KubeClient, state };
}

describe('LeaderElector', () => {
  const o = { namespace: 'ns', name: 'l', leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 50 };
  const log = createLogger('error', true);

  it('acquires, renews, reports each attempt and releases', async () => {
    const { client, state } = fakeApi();
    const e = new LeaderElector(client, log, { ...o, identity: 'me' });
    const attempts: ElectionAttempt[] = [];
    let started = 0;
    await e.run({ onStarted: () => started++, onLost: () => { throw new Error('lost'); }, onAttempt: (a) => attempts.push(a) });
    expect(started).toBe(1);
    expect(e.isLeader()).toBe(true);
    await sleep(300);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.every((a) => a.holding)).toBe(true);
    expect(state.lease()?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 0 });
    expect(state.lease()?.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await e.release();
    expect(state.lease()?.spec.holderIdentity).toBe('');
    expect(e.isLeader()).toBe(false);
  });

  it('gives up at the renew deadline even while a renewal request hangs', async () => {
    const { client, state } = fakeApi();
    const e = new LeaderElector(client, log, { ...o, identity: 'me' });
    let lostAt = 0;
    await e.run({ onStarted: () => undefined, onLost: () => (lostAt = Date.now()) });
    const hungAt = Date.now();
    state.hang = true;
    await sleep(700);
    expect(lostAt).toBeGreaterThan(0);
    // The deadline counts from the last renewal (at most one retry period before the hang).
    expect(lostAt - hungAt).toBeLessThanOrEqual(o.renewDeadlineMs + 20);
    expect(e.isLeader()).toBe(false);
    await e.release();
  });

  it('does not take a lease another holder keeps renewing, and stops trying on release', async () => {
    const { client, state } = fakeApi();
    const other = new LeaderElector(client, log, { ...o, identity: 'other' });
    await other.run({ onStarted: () => undefined, onLost: () => undefined });
    const me = new LeaderElector(client, log, { ...o, identity: 'me' });
    const attempts: ElectionAttempt[] = [];
    let started = false;
    const running = me.run({ onStarted: () => (started = true), onLost: () => undefined, onAttempt: (a) => attempts.push(a) });
    await sleep(800); // longer than the lease duration
    expect(started).toBe(false);
    expect(attempts.length).toBeGreaterThan(5);
    expect(attempts.some((a) => a.holding)).toBe(false);
    await me.release();
    await running; // the acquisition loop ends
    expect(state.lease()?.spec.holderIdentity).toBe('other');
    await other.release();
  });
});
