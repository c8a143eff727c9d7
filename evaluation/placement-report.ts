// The placement experiment's report: Markdown tables against the issue's
// targets and the series of the charts (pure; the caller writes the PNGs).
import type { PlacementExperimentResult } from './placement-experiment.js';
import { notRunningFraction, pendingPodFraction, totalReplicas } from './placement-strategies.js';
import type { Series } from './png-chart.js';

export const TARGETS = { pendingFraction: 0.06, onLacking: 0, failoverSeconds: 45, decisionP99Ms: 50 };

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const s1 = (x: number | null) => (x === null ? 'not within 180 s' : `${x.toFixed(1)} s`);
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
const ok = (pass: boolean) => (pass ? 'met' : '**missed**');

export interface Chart {
  file: string;
  title: string;
  yLabel: string;
  series: Series[];
}

export function placementCharts(r: PlacementExperimentResult): Chart[] {
  return [
    { file: 'not-running.png', title: 'Replicas asked for that are not Running', yLabel: 'fraction', series: r.runs.map((x) => ({ name: x.label, points: x.samples.map((s) => [s.t, notRunningFraction(s)] as [number, number]) })) },
    { file: 'pending-pods.png', title: 'Pods Pending (no node fits)', yLabel: 'fraction of pods created', series: r.runs.map((x) => ({ name: x.label, points: x.samples.map((s) => [s.t, pendingPodFraction(s)] as [number, number]) })) },
  ];
}

const COLOURS = ['blue', 'red', 'green', 'orange', 'purple'];

/** report.md's text. `bounds`: per chart file, the axes' ranges as drawn. */
export function renderPlacementReport(r: PlacementExperimentResult, meta: { startedAt: string; machine: string; command: string }, bounds: Record<string, { xMax: number; yMax: number }>): string {
  const apps = r.workload;
  const asked = apps.reduce((s, a) => s + totalReplicas(a), 0);
  const needing = apps.filter((a) => a.requires);
  const a0 = apps[0]!;
  const md: string[] = [
    '# Placement experiment (issue 15)', '',
    `Run ${meta.startedAt} on ${meta.machine}: \`${meta.command}\`.`, '',
    '## Setup', '',
    row(['member', 'KWOK nodes', 'node size (allocatable)', 'lacks']), '|---|---|---|---|',
    ...r.members.map((m) => row([m.name, m.nodes, `${m.cpu} CPU / ${m.memory}`, m.lacks.join(', ') || '—'])), '',
    `Workload: mck8s's example MultiClusterDeployment (\`manifests/examples/02_example_deployment_worst_fit.yaml\`: \`placementPolicy: worst_fit\`, \`numberOfLocations: ${a0.locations}\`, \`replicas: ${a0.replicas}\` per location, one container requesting and limited to ${a0.cpuMilli}m CPU / ${a0.memoryMi}Mi), submitted ${apps.length} times, one every ${apps[1] ? apps[1].at - apps[0]!.at : 0} s: ${asked} replicas in all. ${needing.length} of them (${needing.map((a) => a.name).join(', ')}) also require \`${needing[0]?.requires ?? '-'}\`. mck8s's paper does not publish its application stream; this is its repository's one example, repeated until the testbed is full (${asked} replicas of 1 CPU / 1 GiB against room for 70: 2 × 5 × 4 + 3 × 5 × 2).`, '',
    'Strategies: (a) each application\'s 6 replicas split evenly over all 5 members, capacity-blind (2/1/1/1/1, the extra replica to a member hashed from the names, as KubeFed breaks ties; KubeFed\'s ReplicaSchedulingPreference planner with equal weights would round shares up to 2/2/2/0/0, and KubeFed with no preference at all would put all 6 on every member), created on the members directly; (b) mck8s\'s worst fit as its `multi-cluster-scheduler` writes it, computed by the experiment from two LISTs per member per decision (nodes; non-terminated pods), deferring the whole application for 30 s when replicas are left over (no cloud member here); (c) the fedfeat controller process with FeaturePlacements carrying the same spec (`replicas: 2`, `numberOfClusters: 3`, `replicaScheduling.type: Duplicated`, `overflow: Next`, `requiredFeatures` where the application needs it). Pods are sampled on every member every few seconds.', '',
    '## Results', '',
    `At the end (${apps.length ? `${r.runs[0]?.final.t.toFixed(0) ?? '?'} s after the first application` : ''}), and over the whole run (peak of the samples, every few seconds):`, '',
    row(['strategy', 'Running', 'Pending pods', 'unplaced replicas', 'not Running (of asked)', 'Pending (of pods created)', 'on members lacking a required feature', 'peak Pending (of pods created)', 'peak on members lacking', 'mck8s deferrals']),
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.runs.map((x) => row([x.label, x.final.running, x.final.pending, x.final.unplaced, pct(notRunningFraction(x.final)), pct(pendingPodFraction(x.final)), x.final.onLacking,
      pct(Math.max(0, ...x.samples.map(pendingPodFraction))), Math.max(0, ...x.samples.map((q) => q.onLacking)), x.deferrals ?? '—'])), '',
  ];
  for (const c of placementCharts(r)) {
    const b = bounds[c.file];
    md.push(`![${c.title}](${c.file})`, '', `${c.title} (${c.yLabel}) over time; x 0–${b ? b.xMax.toFixed(0) : '?'} s after the first application, y 0–${b ? b.yMax.toFixed(2) : '?'}; ${c.series.map((s, i) => `${COLOURS[i % COLOURS.length]}: ${s.name}`).join('; ')}.`, '');
  }
  md.push('Where each application went (replicas per member, last decision):', '', row(['strategy', ...apps.map((a) => `${a.name}${a.requires ? '*' : ''}`)]), `|---|${apps.map(() => '---').join('|')}|`,
    ...r.runs.map((x) => row([x.label, ...apps.map((a) => Object.entries(x.placements[a.name] ?? {}).map(([m, n]) => `${m.replace('member-', 'm')}:${n}`).join(' ') || '—')])), '', '\\* requires the feature.', '');

  md.push('## Moving replicas (fedfeat WorstFit)', '');
  if (r.failover.length) {
    md.push(row(['event', 'member', 'replicas there', 'Running elsewhere after', 'gone from the member after', 'note']), '|---|---|---|---|---|---|',
      ...r.failover.map((f) => row([f.kind, f.member, f.replicas, s1(f.runningElsewhereSeconds), s1(f.goneSeconds), f.note])), '');
  } else md.push('Not run.', '');
  md.push('(a) and (b) do not move replicas: KubeFed without a ReplicaSchedulingPreference keeps each member\'s share; mck8s\'s `multi-cluster-rescheduler` only moves applications from a cloud member back to fog members (every 31 min), and its scheduler acts on MultiClusterDeployment events only.', '');

  md.push('## Decision time', '', 'Wall time per decision (filter + capacity + plan from caches, no I/O); CPU time of the process where the benchmark printed it (wall minus the time other processes held this 2-core machine\'s CPUs).', '',
    row(['where', 'p50 (ms)', 'p99 (ms)', 'CPU p50 / p99 (ms)', 'load average']), '|---|---|---|---|---|',
    ...r.decision.benchmark.map((b) => row([`benchmarks/placement-decision.js: ${b.label}`, b.p50Ms.toFixed(2), b.p99Ms.toFixed(2), b.cpuP50Ms === undefined ? '—' : `${b.cpuP50Ms.toFixed(2)} / ${b.cpuP99Ms!.toFixed(2)}`, b.load ?? '—'])));
  if (r.decision.controller) {
    const c = r.decision.controller;
    md.push(row([`controller during this run (${c.decisions} decisions, histogram buckets ≥ 10 ms)`, `mean ${c.meanMs.toFixed(2)}`, `${pct(c.under10ms)} under 10 ms`, '—', '—']));
  }
  md.push('');

  const fedfeat = r.runs.filter((x) => x.strategy.startsWith('fedfeat'));
  const big = r.decision.benchmark.find((b) => b.label.startsWith('40'));
  const down = r.failover.find((f) => f.kind === 'member-down');
  md.push('## Against the targets', '', row(['target', 'fedfeat', 'verdict']), '|---|---|---|',
    ...fedfeat.map((x) => row([`not Running ≤ ${pct(TARGETS.pendingFraction)} (mck8s's paper: 6 %) — ${x.label}`, `${pct(notRunningFraction(x.final))} not Running; ${pct(pendingPodFraction(x.final))} of pods Pending`, ok(notRunningFraction(x.final) <= TARGETS.pendingFraction)])),
    ...fedfeat.map((x) => row([`0 replicas on members lacking a required feature — ${x.label}`, x.final.onLacking, ok(x.final.onLacking === 0)])),
    row([`Running elsewhere within ${TARGETS.failoverSeconds} s of a member going down`, down ? s1(down.runningElsewhereSeconds) : 'not run', down ? ok(down.runningElsewhereSeconds !== null && down.runningElsewhereSeconds <= TARGETS.failoverSeconds) : '—']),
    row([`decision p99 < ${TARGETS.decisionP99Ms} ms at 40 members × 100 nodes`, big ? `${big.p99Ms.toFixed(1)} ms` : 'not run', big ? ok(big.p99Ms < TARGETS.decisionP99Ms) : '—']), '');
  return md.join('\n') + '\n';
}
