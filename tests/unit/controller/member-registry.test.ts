import { nextHealth } from '../../../controller/member-registry.js';

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
