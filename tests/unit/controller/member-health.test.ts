import { jest } from '@jest/globals';
import { cachedStatus, conditionsSignature, nextDue, phaseOf, ProbeScheduler, shouldWriteStatus } from '../../../controller/member-health.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `member-${i}`);

describe('probe phases', () => {
  it('spreads 3,500 members evenly over the period (no second holds more than twice its share)', () => {
    const period = 10_000;
    const perSecond = new Array<number>(10).fill(0);
    for (const n of names(3500)) perSecond[Math.floor(phaseOf(n, period) / 1000)]!++;
    for (const c of perSecond) {
      expect(c).toBeGreaterThan(350 / 2);
      expect(c).toBeLessThan(350 * 2);
    }
  });
  it('keeps a member on its phase: the next due time is after now, within one period, at the phase', () => {
    const period = 10_000;
    for (const now of [0, 1, 9_999, 10_000, 1_700_000_000_123]) {
      const t = nextDue('member-7', now, period);
      expect(t).toBeGreaterThan(now);
      expect(t - now).toBeLessThanOrEqual(period);
      expect(t % period).toBe(phaseOf('member-7', period));
    }
  });
  it('is stable across restarts and replicas (a function of the name only)', () => {
    expect(phaseOf('member-1', 10_000)).toBe(phaseOf('member-1', 10_000));
    expect(phaseOf('member-1', 10_000)).not.toBe(phaseOf('member-2', 10_000));
  });
});

describe('when to write the KubeFedCluster status', () => {
  const ready = conditionsSignature([{ type: 'Ready', status: 'True', reason: 'ClusterReady' }]);
  const offline = conditionsSignature([{ type: 'Ready', status: 'False', reason: 'ClusterNotReachable' }, { type: 'Offline', status: 'True', reason: 'ClusterNotReachable' }]);
  const base = { refreshMs: 300_000, now: 1_000_000 };
  it('writes a transition at once', () => {
    expect(shouldWriteStatus({ ...base, desired: offline, cached: { signature: ready, probedAt: base.now - 1000 } })).toBe(true);
  });
  it('writes when nothing is there yet', () => {
    expect(shouldWriteStatus({ ...base, desired: ready })).toBe(true);
  });
  it('does not rewrite an unchanged status until lastProbeTime is refreshMs old', () => {
    expect(shouldWriteStatus({ ...base, desired: ready, cached: { signature: ready, probedAt: base.now - 299_999 } })).toBe(false);
    expect(shouldWriteStatus({ ...base, desired: ready, cached: { signature: ready, probedAt: base.now - 300_000 } })).toBe(true);
  });
  it('trusts its own write while the cache has not seen it yet', () => {
    const own = { signature: offline, at: base.now - 20_000 };
    expect(shouldWriteStatus({ ...base, desired: offline, own, cached: { signature: ready, probedAt: base.now - 60_000 } })).toBe(false);
    expect(shouldWriteStatus({ ...base, desired: offline, own })).toBe(false);
    // ...and refreshes it on the slow interval all the same.
    expect(shouldWriteStatus({ ...base, desired: offline, own: { ...own, at: base.now - 300_000 } })).toBe(true);
  });
  it('puts a status back at once that someone else changed after our write', () => {
    const own = { signature: offline, at: base.now - 20_000 };
    expect(shouldWriteStatus({ ...base, desired: offline, own, cached: { signature: ready, probedAt: base.now - 5000 } })).toBe(true);
  });
  it('writes a transition even right after its own write of the previous state', () => {
    expect(shouldWriteStatus({ ...base, desired: ready, own: { signature: offline, at: base.now - 1000 }, cached: { signature: offline, probedAt: base.now - 1000 } })).toBe(true);
  });
  it('counts its own recent refresh even if the cache still shows the older lastProbeTime', () => {
    expect(shouldWriteStatus({ ...base, desired: ready, own: { signature: ready, at: base.now - 1000 }, cached: { signature: ready, probedAt: base.now - 400_000 } })).toBe(false);
  });
  it('reads the cached conditions: signature of Ready and a true Offline, oldest lastProbeTime', () => {
    const c = cachedStatus([
      { type: 'Ready', status: 'False', reason: 'ClusterNotReachable', lastProbeTime: '2026-01-01T00:00:10Z' },
      { type: 'Offline', status: 'True', reason: 'ClusterNotReachable', lastProbeTime: '2026-01-01T00:00:05Z' },
    ]);
    expect(c).toEqual({ signature: offline, probedAt: Date.parse('2026-01-01T00:00:05Z') });
    expect(cachedStatus([])).toBeUndefined();
    expect(cachedStatus([{ type: 'Ready', status: 'True', reason: 'ClusterReady', lastProbeTime: 'garbage' }])?.probedAt).toBe(0);
  });
});

describe('ProbeScheduler', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('probes every member once per period at its phase, never more than the cap at once', async () => {
    const period = 10_000;
    let inFlight = 0;
    let most = 0;
    const seen = new Map<string, number[]>();
    const s = new ProbeScheduler({ periodMs: period, concurrency: 5 }, async (name) => {
      inFlight++;
      most = Math.max(most, inFlight);
      (seen.get(name) ?? seen.set(name, []).get(name)!).push(Date.now());
      await new Promise((r) => setTimeout(r, 50));
      inFlight--;
    });
    const all = names(200);
    for (const n of all) s.add(n);
    await jest.advanceTimersByTimeAsync(3 * period + 1);
    s.stop();
    expect(most).toBe(5);
    for (const n of all) {
      const times = seen.get(n)!;
      // The first at once, then one per turn on its phase (a turn that comes while the first is still queued is skipped).
      expect(times.length).toBeGreaterThanOrEqual(3);
      expect(times.length).toBeLessThanOrEqual(4);
      for (const t of times.slice(1)) expect(t % period).toBeGreaterThanOrEqual(phaseOf(n, period));
      // Late only by the queue (200 probes of 50 ms, 5 at a time), never by a period.
      for (const t of times.slice(1)) expect(t % period - phaseOf(n, period)).toBeLessThan(2_500);
    }
  });

  it('spreads the load: probes started per second stay near N / period', async () => {
    const period = 10_000;
    const starts: number[] = [];
    const s = new ProbeScheduler({ periodMs: period, concurrency: 100 }, async () => {
      starts.push(Date.now());
    });
    for (const n of names(1000)) s.add(n);
    const t0 = Date.now();
    await jest.advanceTimersByTimeAsync(period); // past the initial burst
    starts.length = 0;
    await jest.advanceTimersByTimeAsync(period);
    s.stop();
    expect(starts.length).toBe(1000);
    const perSecond = new Array<number>(10).fill(0);
    for (const t of starts) perSecond[Math.floor(((t - t0) % period) / 1000)]!++;
    expect(Math.max(...perSecond)).toBeLessThan(200); // 100/s on average; all at once would be 1000
  });

  it('skips a turn while the previous probe of that member is still pending (no pile-up behind a dead member)', async () => {
    const period = 1000;
    let calls = 0;
    const s = new ProbeScheduler({ periodMs: period, concurrency: 10 }, async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 3500)); // a timeout longer than the period
    });
    s.add('dead');
    await jest.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(2); // at 0 and at the first turn after 3.5 s
    expect(s.stats.skipped).toBeGreaterThanOrEqual(3);
    s.stop();
  });

  it('stops probing a removed member', async () => {
    let calls = 0;
    const s = new ProbeScheduler({ periodMs: 1000, concurrency: 1 }, async () => {
      calls++;
    });
    s.add('a');
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toBe(1);
    s.remove('a');
    await jest.advanceTimersByTimeAsync(5000);
    expect(calls).toBe(1);
    expect(s.has('a')).toBe(false);
  }, 10_000);
});
