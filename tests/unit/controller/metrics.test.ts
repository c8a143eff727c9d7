import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { endpoints } from '../../../controller/endpoints.js';
import { Metrics } from '../../../controller/metrics.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format (0.0.4): throws on any line Prometheus would reject. */
function parseExposition(text: string): { types: Map<string, string>; help: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleLine = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
  const labelPair = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(meta[3]!)) throw new Error(`bad TYPE: ${line}`);
        types.set(meta[2]!, meta[3]!);
      } else help.set(meta[2]!, meta[3]!);
      continue;
    }
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const labels: Record<string, string> = {};
    for (let rest = m[2] ?? ''; rest; ) {
      const p = labelPair.exec(rest);
      if (!p) throw new Error(`bad labels: ${line}`);
      labels[p[1]!] = p[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(p[0].length);
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]!) && types.get(family) !== 'histogram') throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { types, help, samples };
}

describe('Metrics', () => {
  it('renders counters, gauges and histograms in the Prometheus text format', async () => {
    const m = new Metrics();
    m.inc('fedfeat_member_api_requests_total', { cluster: 'm1' });
    m.inc('fedfeat_member_api_requests_total', { cluster: 'm1' }, 2);
    m.observe('fedfeat_reconcile_duration_seconds', { kind: 'member' }, 0.2);
    let depth = 0;
    m.addCollector(() => m.set('fedfeat_workqueue_depth', {}, depth));
    depth = 4;
    const text = await m.render();
    expect(text).toContain('# HELP fedfeat_member_api_requests_total Requests sent to each member API server.');
    expect(text).toContain('# TYPE fedfeat_member_api_requests_total counter');
    expect(text).toContain('fedfeat_member_api_requests_total{cluster="m1"} 3');
    expect(text).toContain('fedfeat_workqueue_depth 4');
    expect(text).toContain('# TYPE fedfeat_reconcile_duration_seconds histogram');
    expect(text).toContain('fedfeat_reconcile_duration_seconds_bucket{le="0.1",kind="member"} 0');
    expect(text).toContain('fedfeat_reconcile_duration_seconds_bucket{le="0.25",kind="member"} 1');
    expect(text).toContain('fedfeat_reconcile_duration_seconds_bucket{le="+Inf",kind="member"} 1');
    expect(text).toContain('fedfeat_reconcile_duration_seconds_count{kind="member"} 1');
  });

  it('adds the process and Node.js series only when asked', async () => {
    expect(await new Metrics().render()).not.toContain('process_resident_memory_bytes');
    const text = await new Metrics().withProcessMetrics().render();
    const rss = /^process_resident_memory_bytes (\d+)/m.exec(text);
    expect(Number(rss?.[1])).toBeGreaterThan(10 * 1024 * 1024);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
  });

  it('keeps the histogram buckets', async () => {
    const m = new Metrics();
    m.observe('podpreset_webhook_decide_seconds', {}, 0.001);
    const les = parseExposition(await m.render()).samples.filter((s) => s.name === 'podpreset_webhook_decide_seconds_bucket').map((s) => s.labels.le);
    expect(les).toEqual(['0.01', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '300', '+Inf']);
  });

  it('mirrors a counter kept elsewhere (set replaces, it does not add)', async () => {
    const m = new Metrics();
    m.set('fedfeat_member_api_requests_total', { cluster: 'm1' }, 5);
    m.set('fedfeat_member_api_requests_total', { cluster: 'm1' }, 7);
    expect(await m.render()).toContain('fedfeat_member_api_requests_total{cluster="m1"} 7');
  });

  it('exports only the families its process used (the webhook shows no controller metrics)', async () => {
    const m = new Metrics();
    m.inc('podpreset_webhook_tls_handshakes_total');
    const { types } = parseExposition(await m.render());
    expect([...types.keys()]).toEqual(['podpreset_webhook_tls_handshakes_total']);
  });

  it('keeps one feature_state series per feature, dropping the old state', async () => {
    const m = new Metrics();
    m.setFeatureState('fc', 'm1', 'podpreset', 'Missing');
    m.setFeatureState('fc', 'm2', 'podpreset', 'Missing');
    m.setFeatureState('fc', 'm1', 'podpreset', 'Supported');
    const lines = (await m.render()).split('\n').filter((l) => l.startsWith('fedfeat_feature_state{'));
    expect(lines.sort()).toEqual([
      'fedfeat_feature_state{cluster="m1",feature="podpreset",featureconfig="fc",state="Supported"} 1',
      'fedfeat_feature_state{cluster="m2",feature="podpreset",featureconfig="fc",state="Missing"} 1',
    ]);
  });

  it('exports event loop lag and lease renew age as gauges', async () => {
    const m = new Metrics();
    m.set('fedfeat_event_loop_lag_seconds', {}, 20.5);
    m.set('fedfeat_leader_lease_renew_age_seconds', {}, 1.25);
    const { types, samples } = parseExposition(await m.render());
    expect(types.get('fedfeat_event_loop_lag_seconds')).toBe('gauge');
    expect(types.get('fedfeat_leader_lease_renew_age_seconds')).toBe('gauge');
    expect(samples).toContainEqual({ name: 'fedfeat_event_loop_lag_seconds', labels: {}, value: 20.5 });
    expect(samples).toContainEqual({ name: 'fedfeat_leader_lease_renew_age_seconds', labels: {}, value: 1.25 });
  });

  it('escapes label values', async () => {
    const m = new Metrics();
    m.inc('podpreset_webhook_admissions_total', { result: 'a"b\\c\nd' });
    expect(await m.render()).toContain('podpreset_webhook_admissions_total{result="a\\"b\\\\c\\nd"} 1');
  });

  it('registries are per instance, not global', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.inc('fedfeat_reconcile_errors_total', { kind: 'member' });
    b.inc('fedfeat_reconcile_errors_total', { kind: 'member' });
    expect(await a.render()).toContain('fedfeat_reconcile_errors_total{kind="member"} 1');
  });
});

describe('controller /metrics endpoint', () => {
  let server: http.Server;
  let base: string;
  const metrics = new Metrics();
  beforeAll(async () => {
    server = http.createServer(endpoints(metrics, () => true));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('serves text Prometheus parses, without the series of a feature\'s previous state', async () => {
    metrics.addCollector(() => {
      metrics.set('fedfeat_leader', {}, 1);
      metrics.set('fedfeat_member_ready', { cluster: 'm1' }, 1);
    });
    metrics.inc('fedfeat_reconcile_errors_total', { kind: 'status' });
    metrics.startTimer('fedfeat_reconcile_duration_seconds', { kind: 'member' })();
    metrics.setFeatureState('listing-1', 'm1', 'cpumanagementpolicy', 'Reconfiguring');
    metrics.setFeatureState('listing-1', 'm1', 'cpumanagementpolicy', 'Supported');

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const { types, help, samples } = parseExposition(await res.text());

    expect(Object.fromEntries(types)).toEqual({
      fedfeat_leader: 'gauge',
      fedfeat_member_ready: 'gauge',
      fedfeat_reconcile_errors_total: 'counter',
      fedfeat_reconcile_duration_seconds: 'histogram',
      fedfeat_feature_state: 'gauge',
    });
    expect(help.get('fedfeat_feature_state')).toBe('1 for the current state of each feature on each member.');
    expect(samples.filter((s) => s.name === 'fedfeat_feature_state')).toEqual([
      { name: 'fedfeat_feature_state', labels: { cluster: 'm1', feature: 'cpumanagementpolicy', featureconfig: 'listing-1', state: 'Supported' }, value: 1 },
    ]);
    expect(samples).toContainEqual({ name: 'fedfeat_leader', labels: {}, value: 1 });
    expect(samples).toContainEqual({ name: 'fedfeat_member_ready', labels: { cluster: 'm1' }, value: 1 });
    expect(samples).toContainEqual({ name: 'fedfeat_reconcile_duration_seconds_count', labels: { kind: 'member' }, value: 1 });
  });

  it('answers 500 when a collector fails, and keeps serving health', async () => {
    const broken = new Metrics();
    broken.addCollector(() => {
      throw new Error('boom');
    });
    const s = http.createServer(endpoints(broken, () => false));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('metrics: boom');
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});
