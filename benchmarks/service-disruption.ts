// The disruption experiment through a Service (evaluation/service-disruption.ts)
// on a running local federation's real nodes, without starting the evaluation
// federation: prints the table and writes results.json, report.md and the
// chart (the evaluation report's section) into --out.
//
//   node dist/benchmarks/service-disruption.js --name dev [--out DIR] [--probes 1,3:2] [--failure-threshold 3]
//        [--modes all-at-once,rolling,rolling-drain] [--interval-ms 10]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { status } from '../local-federation/launcher.js';
import { writeReport } from '../evaluation/report.js';
import { DEFAULT_SERVICE_DISRUPTION, describeReadiness, SERVICE_DISRUPTION_PROBES, serviceDisruption, type ServiceDisruptionMode } from '../evaluation/service-disruption.js';
import { localMembers } from '../evaluation/targets.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'dev' }, out: { type: 'string', default: 'service-disruption-report' },
    // PERIOD or PERIOD:PROBE_SECONDS (an exec probe taking that long), comma-separated; default the harness's two.
    probes: { type: 'string', default: SERVICE_DISRUPTION_PROBES.map((p) => `${p.periodSeconds}${p.probeSeconds ? `:${p.probeSeconds}` : ''}`).join(',') },
    'failure-threshold': { type: 'string', default: '3' },
    modes: { type: 'string', default: DEFAULT_SERVICE_DISRUPTION.modes.join(',') }, 'interval-ms': { type: 'string', default: '10' },
  },
});
const state = status(values.name!);
if (!state) throw new Error(`no running local federation "${values.name}" (start one with: fedfeat dev up --name ${values.name})`);
const [m] = await localMembers(state, ['member-1']);
try {
  const startedAt = new Date().toISOString();
  // One run of the three modes per readiness probe period (the paper's 1 s; Kubernetes' default is 10 s).
  const results = [];
  for (const spec of values.probes!.split(',')) {
    const [period, probeSeconds] = spec.split(':').map(Number);
    const readiness = { periodSeconds: period!, failureThreshold: Number(values['failure-threshold']), ...(probeSeconds ? { probeSeconds } : {}) };
    results.push(await serviceDisruption(m!, state, {
      ...DEFAULT_SERVICE_DISRUPTION, readiness,
      intervalMs: Number(values['interval-ms']),
      modes: values.modes!.split(',') as ServiceDisruptionMode[],
      note: (msg) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${describeReadiness(readiness)}: ${msg}\n`),
    }));
  }
  const table = writeReport(values.out!, {
    startedAt, machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    target: { kind: 'local', clusters: [{ name: 'member-1', server: m!.server }] }, serviceDisruption: results,
  });
  process.stdout.write(`${table}\n\nreport: ${values.out}/report.md\n`);
} finally {
  m!.ctx.client.close();
}
