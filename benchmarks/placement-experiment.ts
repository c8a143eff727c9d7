// The placement experiment (evaluation/placement-experiment.ts) on a running
// local federation shaped like mck8s's testbed; writes results.json, report.md
// and the charts into --out and prints the summary.
//
//   node bin/fedfeat.js dev up --name NAME --members 5 --real-node off --node-size member-1=4/16Gi,member-5=4/16Gi,*=2/4Gi
//   node dist/benchmarks/placement-experiment.js --name NAME [--out DIR] [--apps 12] [--interval-seconds 5]
//        [--settle-seconds 60] [--strategies even,mck8s-worstfit,fedfeat-worstfit,fedfeat-bestfit] [--lacking member-3]
//        [--require-every 2] [--failover on|off]
//   node dist/benchmarks/placement-experiment.js --render DIR    (report and charts again from DIR/results.json)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { status } from '../local-federation/launcher.js';
import { placementExperiment, type PlacementExperimentResult, type Strategy } from '../evaluation/placement-experiment.js';
import { placementCharts, renderPlacementReport } from '../evaluation/placement-report.js';
import { DEFAULT_WORKLOAD, mck8sWorkload } from '../evaluation/placement-strategies.js';
import { lineChart } from '../evaluation/png-chart.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'dev' }, out: { type: 'string', default: 'placement-report' },
    apps: { type: 'string', default: String(DEFAULT_WORKLOAD.apps) }, 'interval-seconds': { type: 'string', default: String(DEFAULT_WORKLOAD.intervalSeconds) },
    'settle-seconds': { type: 'string', default: '60' }, strategies: { type: 'string', default: 'even,mck8s-worstfit,fedfeat-worstfit,fedfeat-bestfit' },
    lacking: { type: 'string', default: 'member-3' }, 'require-every': { type: 'string', default: String(DEFAULT_WORKLOAD.requireEvery) },
    failover: { type: 'string', default: 'on' }, 'sample-ms': { type: 'string', default: '2000' }, render: { type: 'string' },
  },
});
// --render DIR: rewrite DIR's report.md and charts from its results.json (no federation needed).
if (values.render) {
  const dir = values.render;
  const saved = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as PlacementExperimentResult & { startedAt: string; meta?: { machine: string; command: string } };
  write(dir, saved, saved.startedAt, saved.meta ?? { machine: 'unknown', command: 'unknown' });
  process.exit(0);
}
const state = status(values.name!);
if (!state) throw new Error(`no running local federation "${values.name}" (start one with the dev up line at the top of this file)`);
const feature = DEFAULT_WORKLOAD.feature;
const apps = mck8sWorkload({ apps: Number(values.apps), intervalSeconds: Number(values['interval-seconds']), requireEvery: Number(values['require-every']), feature });
const startedAt = new Date().toISOString();
const r = await placementExperiment(state, {
  apps, strategies: values.strategies!.split(',') as Strategy[], lacking: values.lacking!, feature,
  settleSeconds: Number(values['settle-seconds']), sampleMs: Number(values['sample-ms']), failover: values.failover !== 'off',
  note: (msg) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`),
});
const meta = {
  machine: `this machine (${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB, shared; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end)`,
  command: `node dist/benchmarks/placement-experiment.js ${process.argv.slice(2).join(' ')}`.trim(),
};
process.stdout.write(`${write(values.out!, r, startedAt, meta)}\nreport: ${values.out}/report.md\n`);

function write(dir: string, res: PlacementExperimentResult, started: string, m: { machine: string; command: string }): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ startedAt: started, meta: m, ...res }, null, 2));
  const bounds: Record<string, { xMax: number; yMax: number }> = {};
  for (const c of placementCharts(res)) {
    const { png, bounds: b } = lineChart(c.series);
    writeFileSync(path.join(dir, c.file), png);
    bounds[c.file] = b;
  }
  const md = renderPlacementReport(res, { startedAt: started, ...m }, bounds);
  writeFileSync(path.join(dir, 'report.md'), md);
  return md;
}
