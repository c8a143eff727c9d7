// The harness's output: results.json (everything), report.md (tables and
// charts) and the PNG charts, in one folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DisruptionRun, NodeScalePoint, OverheadResult, ScalePoint, Skipped, TimeToReconfigure } from './experiments.js';
import { describeReadiness, type ServiceDisruptionResult } from './service-disruption.js';
import { lineChart, type ChartBounds, type Series } from './png-chart.js';
import type { linearFit, Summary } from './stats.js';

export interface EvalResults {
  startedAt: string;
  machine: { cpus: number; memoryGiB: number };
  /** The clusters measured: the local federation the harness started, or the user's kubeconfig contexts. */
  target: { kind: 'local' | 'kubeconfig'; clusters: Array<{ name: string; server: string }> };
  overhead?: OverheadResult[];
  disruption?: { runs: DisruptionRun[]; note: string };
  /** The disruption experiment through a Service on several real nodes: all at once vs rolling vs rolling with drain. */
  serviceDisruption?: ServiceDisruptionResult[];
  timeToReconfigure?: TimeToReconfigure[];
  scaleMembers?: { points: ScalePoint[]; fit: ReturnType<typeof linearFit> };
  scaleNodes?: { points: NodeScalePoint[]; fit: ReturnType<typeof linearFit> };
  skipped?: Skipped[];
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
const sumRow = (label: string, s: Summary) => row([label, s.n, f2(s.p50), f2(s.p95), f2(s.p99), f2(s.mean), f2(s.stddev)]);

function chart(dir: string, file: string, series: Series[]): { file: string; bounds: ChartBounds } {
  const { png, bounds } = lineChart(series);
  writeFileSync(path.join(dir, file), png);
  return { file, bounds };
}

const legend = (series: Series[]) => series.map((s, i) => `${['blue', 'red', 'green', 'orange', 'purple'][i % 5]}: ${s.name}`).join('; ');

/** Writes results.json, report.md and charts; returns the summary table (Markdown). */
export function writeReport(dir: string, r: EvalResults): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify(r, null, 2));
  const where = r.target.kind === 'local' ? 'the local federation' : `kubeconfig contexts ${r.target.clusters.map((c) => `${c.name} (${c.server})`).join(', ')}`;
  const md: string[] = [`# fedfeat evaluation`, '', `Run ${r.startedAt} on ${where}; harness machine ${r.machine.cpus} CPUs, ${r.machine.memoryGiB} GiB.`, ''];
  const many = r.target.clusters.length > 1 && r.target.kind === 'kubeconfig';
  const on = (member: string) => (many ? ` (${member})` : '');
  const summary: string[] = ['| Question | Result | Paper |', '|---|---|---|'];

  for (const o of r.overhead ?? []) {
    const a = o.admission;
    if (a) {
      md.push(`## 1. Overhead on ${o.member}`, '', `Pod creation latency (ms), ${a.repeats} runs of ${a.podsPerRun} pods at ${a.rate}/s${a.dryRun ? ' (server-side dry run: admitted, not stored)' : ''}:`, '',
        row(['run', 'n', 'p50', 'p95', 'p99', 'mean', 'stddev']), '|---|---|---|---|---|---|---|',
        sumRow('without webhook', a.withoutWebhook), sumRow('with PodPreset webhook', a.withWebhook), '',
        `The webhook adds ${f1(a.addedP50Ms)} ms at p50 and ${f1(a.addedP99Ms)} ms at p99.`, '');
      summary.push(row([`Overhead: PodPreset webhook on pod admission${on(o.member)}`, `+${f1(a.addedP50Ms)} ms p50, +${f1(a.addedP99Ms)} ms p99`, 'not measured for admission']));
    }
    const c = o.cpuPinning;
    if (c) {
      md.push(`CPU-bound loop on ${o.member}/${c.node}, iteration time (ms) — ${c.note}:`, '', row(['pod', 'n', 'p50', 'p95', 'p99', 'mean', 'stddev']), '|---|---|---|---|---|---|---|',
        sumRow('pinned (static policy)', c.pinned), sumRow('shared pool', c.shared), '');
      summary.push(row([`Overhead: CPU pinning via fedfeat${on(o.member)}`, `p99 ${f1(c.pinned.p99)} ms pinned vs ${f1(c.shared.p99)} ms shared`, 'static policy gives stable latency']));
    }
  }
  if (r.disruption?.runs.length) {
    md.push('## 2. Disruption', '', `A web pod with a readiness probe, requested every 20 ms while every kubelet of its cluster is reconfigured (${r.disruption.note}).`, '',
      row(['cluster', 'mode', 'seconds', 'ok', 'failed', 'longest gap (ms)']), '|---|---|---|---|---|---|',
      ...r.disruption.runs.map((d) => row([d.member, d.mode, f1(d.seconds), d.ok, d.failed, d.longestGapMs])), '');
    const series = r.disruption.runs.map((d) => ({ name: `${many ? `${d.member}: ` : ''}${d.mode}`, points: d.samples.map((s) => [s.t, s.ms ?? 0] as [number, number]) }));
    const c = chart(dir, 'disruption.png', series);
    md.push(`![latency over time](${c.file})`, '', `Latency (ms, 0 = failed) over time (s); x ${f1(c.bounds.xMin)}–${f1(c.bounds.xMax)} s, y 0–${f1(c.bounds.yMax)} ms; ${legend(series)}.`, '');
    for (const d of r.disruption.runs.filter((x) => x.mode.startsWith('rolling'))) {
      summary.push(row([`Disruption: kubelet reconfiguration${on(d.member)}`, `${d.failed} failed requests, longest gap ${d.longestGapMs} ms`, 'outage while all kubelets restart']));
    }
  }
  for (const [i, d] of (r.serviceDisruption ?? []).entries()) if (d.runs.length) serviceDisruptionSection(dir, d, i, md, summary);
  if (r.timeToReconfigure) {
    md.push('## 3. Time to reconfigure a fresh member', '', row(['feature', 'member', 'runs', 'mean (s)', 'stddev', 'min', 'max', 'note']), '|---|---|---|---|---|---|---|---|',
      ...r.timeToReconfigure.map((t) => row([t.feature, t.member, t.summary.n, f2(t.summary.mean), f2(t.summary.stddev), f2(t.summary.min), f2(t.summary.max), t.note ?? ''])), '');
    for (const t of r.timeToReconfigure) summary.push(row([`Time to reconfigure: ${t.feature}${on(t.member)}`, `${f1(t.summary.mean)} s ± ${f1(t.summary.stddev)}`, 'under 100 s']));
  }
  if (r.scaleMembers) {
    const s = r.scaleMembers;
    md.push('## Scale: member clusters', '', 'PodPreset installed by the controller on every member at once (`maxConcurrentClusters` = members).', '',
      row(['members', 'apply → all Supported (s)', 'controller CPU (s)', 'controller RSS (MiB)']), '|---|---|---|---|',
      ...s.points.map((p) => row([p.members, f2(p.applyToAllSupportedSeconds), f2(p.controllerCpuSeconds), p.controllerRssMiB])), '');
    const series = [{ name: 'seconds to all Supported', points: s.points.map((p) => [p.members, p.applyToAllSupportedSeconds] as [number, number]) }];
    const c = chart(dir, 'scale-members.png', series);
    md.push(`![time vs members](${c.file})`, '', `x members ${c.bounds.xMin}–${c.bounds.xMax}, y seconds 0–${f1(c.bounds.yMax)}. Linear fit: ${f2(s.fit.slope)} s per member, R² ${f2(s.fit.r2)}.`, '');
    summary.push(row(['Scale: members', `${f2(s.fit.slope)} s per member (R² ${f2(s.fit.r2)}), ${s.points.at(-1)?.members} members in ${f1(s.points.at(-1)?.applyToAllSupportedSeconds ?? NaN)} s`, 'open question']));
  }
  if (r.scaleNodes) {
    const s = r.scaleNodes;
    md.push('## Scale: nodes per member', '', 'One member with N KWOK nodes: probing every node\'s kubelet, and the Calico stand-in installed and Ready on every node.', '',
      row(['nodes', 'probe (s)', 'Calico install → Ready (s)']), '|---|---|---|', ...s.points.map((p) => row([p.nodes, f2(p.probeSeconds), f2(p.calicoInstallSeconds)])), '');
    const series = [{ name: 'Calico install seconds', points: s.points.map((p) => [p.nodes, p.calicoInstallSeconds] as [number, number]) }];
    const c = chart(dir, 'scale-nodes.png', series);
    md.push(`![time vs nodes](${c.file})`, '', `x nodes ${c.bounds.xMin}–${c.bounds.xMax}, y seconds 0–${f1(c.bounds.yMax)}. Linear fit: ${(s.fit.slope * 1000).toFixed(1)} ms per node, R² ${f2(s.fit.r2)}.`, '');
    summary.push(row(['Scale: nodes per member', `${(s.fit.slope * 1000).toFixed(1)} ms per node (R² ${f2(s.fit.r2)})`, 'open question']));
  }
  if (r.skipped?.length) {
    md.push('## Not measured', '', row(['experiment', 'cluster', 'why']), '|---|---|---|', ...r.skipped.map((k) => row([k.experiment, k.member, k.reason.replace(/\|/g, '/')])), '');
  }
  const table = summary.join('\n');
  md.splice(3, 0, '## Summary', '', table, '');
  writeFileSync(path.join(dir, 'report.md'), md.join('\n') + '\n');
  return table;
}

/** Section 2 on several real nodes: the table, the latency chart and the ready-endpoints chart, and what happened per mode. */
function serviceDisruptionSection(dir: string, d: ServiceDisruptionResult, index: number, md: string[], summary: string[]): void {
  const probe = describeReadiness(d.readiness);
  md.push(`## 2${'abcdefgh'[index]}. Disruption through a Service, ${probe}`, '',
    `A Deployment of ${d.replicas} replicas, one per real node (${d.nodes.join(', ')}), ${probe}, behind a ClusterIP Service; a client in its own network namespace requests the Service every ${d.intervalMs} ms on a new connection (through kube-proxy's iptables rules) while every kubelet gets \`cpuManagerPolicy: static\` (and is restarted). Endpoints and pods are watched throughout; between modes every kubelet goes back to its own configuration.`, '',
    row(['mode', 'time to reconfigure (s)', 'requests', 'failed', 'longest gap (ms)', 'pods that left the endpoints', 'longest out (s)', 'fewest ready endpoints', 'no endpoint at all (s)', 'endpoint-seconds missing']),
    '|---|---|---|---|---|---|---|---|---|---|',
    ...d.runs.map((x) => {
      const out = x.endpoints.departures.map((p) => p.seconds ?? NaN);
      return row([x.label, f1(x.seconds), x.requests, x.failed, x.longestGapMs, x.endpoints.departures.length, out.length ? f1(Math.max(...out)) : '0', `${x.endpoints.minReady}/${x.endpoints.before}`, f1(x.endpoints.zeroReadySeconds), f1(x.endpoints.missingEndpointSeconds)]);
    }), '');
  const lat = d.runs.map((x) => ({ name: x.label, points: x.samples.map((s) => [s.t, s.ms ?? 0] as [number, number]) }));
  const c1 = chart(dir, `service-disruption-latency-${index + 1}.png`, lat);
  md.push(`![latency through the Service](${c1.file})`, '', `Request latency (ms, 0 = failed) over time (s, 0 = reconfiguration starts); x ${f1(c1.bounds.xMin)}–${f1(c1.bounds.xMax)} s, y 0–${f1(c1.bounds.yMax)} ms; ${legend(lat)}.`, '');
  const eps = d.runs.map((x) => ({ name: x.label, points: x.readyEndpoints }));
  const c2 = chart(dir, `service-disruption-endpoints-${index + 1}.png`, eps);
  md.push(`![ready endpoints](${c2.file})`, '', `Ready endpoints of the Service over time (s); x ${f1(c2.bounds.xMin)}–${f1(c2.bounds.xMax)} s, y 0–${f1(c2.bounds.yMax)}; ${legend(eps)}.`, '');
  for (const x of d.runs) {
    const back = Object.entries(x.kubeletBackSeconds).map(([n, s]) => `${n} ${f1(s)} s`).join(', ');
    const changes = x.readyChanges.map((e) => `${f1(e.s)} s ${e.pod}${e.node ? ` on ${e.node}` : ''} ${e.ready === 'deleted' ? 'deleted' : e.ready ? 'Ready' : 'not Ready'}`).join('; ');
    const left = x.endpoints.departures.map((p) => `${p.pod} at ${f1(p.left)} s for ${p.seconds === null ? 'the rest of the window' : `${f1(p.seconds)} s`}${p.cameBack ? '' : ' (replaced)'}`).join('; ');
    md.push(`- **${x.label}**: new kubelet with the policy answering /configz at ${back || '—'} after the start. Pods' Ready changes: ${changes || 'none'}. Left the endpoints: ${left || 'none'}.`);
  }
  md.push('');
  for (const x of d.runs) summary.push(row([`Disruption through a Service (${probe}): ${x.label}`, `${x.failed} failed of ${x.requests}, longest gap ${x.longestGapMs} ms, ${x.endpoints.departures.length} endpoint departures, no endpoint for ${f1(x.endpoints.zeroReadySeconds)} s; ${f1(x.seconds)} s for ${d.nodes.length} nodes`, x.mode === 'all-at-once' ? 'outage while all kubelets restart' : 'not in the paper']));
}
