import { controllerDecisionTimes, parseDecisionBenchmark, type PlacementExperimentResult } from '../../../evaluation/placement-experiment.js';
import { placementCharts, renderPlacementReport } from '../../../evaluation/placement-report.js';
import { countSample, mck8sWorkload } from '../../../evaluation/placement-strategies.js';

const MEMBERS = ['member-1', 'member-2'];
const apps = mck8sWorkload({ apps: 2, intervalSeconds: 5, requireEvery: 2, feature: 'networkpolicy' });
const all = new Set(apps.map((a) => a.name));
const running = (n: number, member: string, app: string) => Array.from({ length: n }, () => ({ member, app, phase: 'Running' }));

function result(): PlacementExperimentResult {
  const good = countSample(60, apps, all, [...running(6, 'member-1', 'hello-01'), ...running(6, 'member-1', 'hello-02')], { networkpolicy: ['member-2'] }, MEMBERS);
  const bad = countSample(60, apps, all, [...running(5, 'member-1', 'hello-01'), { member: 'member-2', app: 'hello-02', phase: 'Pending' }, ...running(3, 'member-2', 'hello-02')], { networkpolicy: ['member-2'] }, MEMBERS);
  return {
    members: [{ name: 'member-1', nodes: 5, cpu: '4', memory: '16Gi', lacks: [] }, { name: 'member-2', nodes: 5, cpu: '2', memory: '4Gi', lacks: ['networkpolicy'] }],
    workload: apps,
    runs: [
      { strategy: 'even', label: '(a) even', samples: [bad], final: bad, placements: { 'hello-01': { 'member-1': 6 } } },
      { strategy: 'fedfeat-worstfit', label: '(c) fedfeat WorstFit', samples: [good], final: good, placements: {} },
    ],
    failover: [{ kind: 'member-down', member: 'member-1', replicas: 8, runningElsewhereSeconds: 52.5, goneSeconds: null, note: 'n' }],
    decision: { benchmark: [{ label: '40 members x 100 nodes', p50Ms: 1, p99Ms: 33, line: '' }] },
  };
}

describe('placement report', () => {
  it('tables every strategy and judges fedfeat against the targets as measured', () => {
    const md = renderPlacementReport(result(), { startedAt: 't', machine: 'm', command: 'c' }, {});
    expect(md).toContain('| (a) even | 8 | 1 | 3 | 33.3 % | 11.1 % | 4 | 11.1 % | 4 | — |');
    expect(md).toContain('| (c) fedfeat WorstFit | 12 | 0 | 0 | 0.0 % | 0.0 % | 0 | 0.0 % | 0 | — |');
    expect(md).toMatch(/not Running ≤ 6.0 %.*\| met \|/);
    // 52.5 s > 45 s: said as missed, not rounded away.
    expect(md).toMatch(/within 45 s of a member going down \| 52.5 s \| \*\*missed\*\* \|/);
    expect(md).toMatch(/decision p99 < 50 ms at 40 members × 100 nodes \| 33.0 ms \| met \|/);
    expect(md).toContain('| member-down | member-1 | 8 | 52.5 s | not within 180 s | n |');
    expect(md).toContain('hello-02*');
  });

  it('charts one series per strategy: fraction not Running and fraction Pending over time', () => {
    const [notRunning, pending] = placementCharts(result());
    expect(notRunning!.series.map((s) => s.name)).toEqual(['(a) even', '(c) fedfeat WorstFit']);
    expect(notRunning!.series[0]!.points).toEqual([[60, 4 / 12]]);
    expect(pending!.series[0]!.points).toEqual([[60, 1 / 9]]);
  });

  it("reads the decision benchmark's lines and the controller's histogram", () => {
    const text = 'placement decision time (…)\n5 members (mck8s testbed shape)         25 nodes     250 pods   p50 0.05 ms   p99 4.34 ms   max 6 ms   (x)\n40 members x 100 nodes               4000 nodes   40000 pods   p50 3.86 ms   p99 36.92 ms   max 40 ms   (y)\n';
    expect(parseDecisionBenchmark(text).map((b) => [b.label, b.p50Ms, b.p99Ms])).toEqual([['5 members (mck8s testbed shape)', 0.05, 4.34], ['40 members x 100 nodes', 3.86, 36.92]]);
    const metrics = 'fedfeat_placement_decision_seconds_bucket{le="0.01"} 9\nfedfeat_placement_decision_seconds_bucket{le="0.05"} 10\nfedfeat_placement_decision_seconds_sum 0.02\nfedfeat_placement_decision_seconds_count 10\n';
    expect(controllerDecisionTimes(metrics)).toEqual({ controller: { decisions: 10, meanMs: 2, under10ms: 0.9 } });
    expect(controllerDecisionTimes('')).toEqual({});
  });
});
