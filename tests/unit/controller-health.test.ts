import { nextHealth } from '../../controller/member-registry.js';
import { canAcquire } from '../../controller/leader-election.js';
import { lastManager } from '../../controller/member-watch.js';
import { Metrics } from '../../controller/metrics.js';

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

describe('Metrics', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', () => {
    const m = new Metrics();
    m.inc('fedfeat_member_api_requests_total', { cluster: 'm1' });
    m.inc('fedfeat_member_api_requests_total', { cluster: 'm1' }, 2);
    m.observe('fedfeat_reconcile_duration_seconds', { kind: 'member' }, 0.2);
    let depth = 0;
    m.addCollector(() => m.set('fedfeat_workqueue_depth', {}, depth));
    depth = 4;
    const text = m.render();
    expect(text).toContain('# TYPE fedfeat_member_api_requests_total counter');
    expect(text).toContain('fedfeat_member_api_requests_total{cluster="m1"} 3');
    expect(text).toContain('fedfeat_workqueue_depth 4');
    expect(text).toContain('fedfeat_reconcile_duration_seconds_bucket{kind="member",le="0.1"} 0');
    expect(text).toContain('fedfeat_reconcile_duration_seconds_bucket{kind="member",le="0.25"} 1');
    expect(text).toContain('fedfeat_reconcile_duration_seconds_count{kind="member"} 1');
  });
  it('keeps one feature_state series per feature, dropping the old state', () => {
    const m = new Metrics();
    m.setFeatureState('fc', 'm1', 'podpreset', 'Missing');
    m.setFeatureState('fc', 'm1', 'podpreset', 'Supported');
    const lines = m.render().split('\n').filter((l) => l.startsWith('fedfeat_feature_state{'));
    expect(lines).toEqual(['fedfeat_feature_state{cluster="m1",feature="podpreset",featureconfig="fc",state="Supported"} 1']);
  });
  it('escapes label values', () => {
    const m = new Metrics();
    m.inc('x_total', { msg: 'a"b\\c\nd' });
    expect(m.render()).toContain('x_total{msg="a\\"b\\\\c\\nd"} 1');
  });
});
