import { nextHealth } from '../../controller/member-registry.js';
import { canAcquire } from '../../controller/leader-election.js';
import { lastManager } from '../../controller/member-watch.js';

describe('member health hysteresis', () => {
  const start = { ready: true, offline: false, consecutiveFailures: 0, consecutiveSuccesses: 0 };
  const o = { failureThreshold: 3, successThreshold: 2 };
  it('goes Offline only after failureThreshold failures in a row', () => {
    let h = start;
    h = nextHealth(h, { ok: false, reachable: false }, o);
    h = nextHealth(h, { ok: false, reachable: false }, o);
    expect(h.ready).toBe(true);
    h = nextHealth(h, { ok: false, reachable: false }, o);
    expect(h).toMatchObject({ ready: false, offline: true });
  });
  it('a success resets the failure count', () => {
    let h = nextHealth(nextHealth(start, { ok: false, reachable: false }, o), { ok: false, reachable: false }, o);
    h = nextHealth(h, { ok: true, reachable: true }, o);
    h = nextHealth(h, { ok: false, reachable: false }, o);
    expect(h).toMatchObject({ ready: true, consecutiveFailures: 1 });
  });
  it('an answering but unhealthy API server is not Ready and not Offline', () => {
    let h = start;
    for (let i = 0; i < 3; i++) h = nextHealth(h, { ok: false, reachable: true }, o);
    expect(h).toMatchObject({ ready: false, offline: false });
  });
  it('comes back only after successThreshold successes', () => {
    let h = { ready: false, offline: true, consecutiveFailures: 5, consecutiveSuccesses: 0 };
    h = nextHealth(h, { ok: true, reachable: true }, o);
    expect(h.ready).toBe(false);
    h = nextHealth(h, { ok: true, reachable: true }, o);
    expect(h).toMatchObject({ ready: true, offline: false });
  });
});

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
});

describe('lastManager', () => {
  it('names the field manager of the newest managedFields entry', () => {
    expect(lastManager({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x', managedFields: [
      { manager: 'kubectl', time: '2026-01-01T00:00:00Z' },
      { manager: 'gke-upgrade', time: '2026-01-02T00:00:00Z' },
      { manager: 'fedfeat', time: '2026-01-01T12:00:00Z' },
    ] } })).toBe('gke-upgrade');
    expect(lastManager({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } })).toBeUndefined();
  });
});
