// The disruption experiment through a Service (evaluation/service-disruption.ts)
// on a running local federation's real nodes, without starting the evaluation
// federation: prints the table and writes results.json, report.md and the
// chart (the evaluation report's section) into --out.
//
//   node dist/benchmarks/service-disruption.js --name dev [--out DIR] [--period-seconds 1] [--failure-threshold 3]
//        [--modes all-at-once,rolling,rolling-drain] [--interval-ms 10]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { status } from '../local-federation/launcher.js';
import { writeReport } from '../evaluation/report.js';
import { DEFAULT_SERVICE_DISRUPTION, serviceDisruption, type ServiceDisruptionMode } from '../evaluation/service-disruption.js';
import { localMembers } from '../evaluation/targets.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'dev' }, out: { type: 'string', default: 'service-disruption-report' },
    'period-seconds': { type: 'string', default: '1' }, 'failure-threshold': { type: 'string', default: '3' },
    modes: { type: 'string', default: DEFAULT_SERVICE_DISRUPTION.modes.join(',') }, 'interval-ms': { type: 'string', default: '10' },
  },
});
const state = status(values.name!);
if (!state) throw new Error(`no running local federation "${values.name}" (start one with: fedfeat dev up --name ${values.name})`);
const [m] = await localMembers(state, ['member-1']);
try {
  const startedAt = new Date().toISOString();
  const result = await serviceDisruption(m!, state, {
    ...DEFAULT_SERVICE_DISRUPTION,
    readiness: { periodSeconds: Number(values['period-seconds']), failureThreshold: Number(values['failure-threshold']) },
    intervalMs: Number(values['interval-ms']),
    modes: values.modes!.split(',') as ServiceDisruptionMode[],
    note: (msg) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`),
  });
  const table = writeReport(values.out!, {
    startedAt, machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    target: { kind: 'local', clusters: [{ name: 'member-1', server: m!.server }] }, serviceDisruption: result,
  });
  process.stdout.write(`${table}\n\nreport: ${values.out}/report.md\n`);
} finally {
  m!.ctx.client.close();
}
