import { Metrics } from '../../controller/metrics.js';

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
