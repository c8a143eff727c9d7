// `fedfeat eval <experiment|all>`: starts its own local federation, runs the
// experiments with a progress bar, writes results.json + report.md + charts,
// and stops everything it started. Pointing it at other clusters is not built.
import os from 'node:os';
import path from 'node:path';
import { down, status, up } from '../local-federation/launcher.js';
import { disruptionExperiment, overhead, scaleMembers, scaleNodes, timeToReconfigure, type EvalContext } from './experiments.js';
import { ProgressBar } from './progress-bar.js';
import { writeReport, type EvalResults } from './report.js';

export const EXPERIMENTS = ['overhead', 'disruption', 'time-to-reconfigure', 'scale', 'all'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

export interface EvalOptions {
  experiment: Experiment;
  out: string;
  repeats: number;
  members: number[];
  nodes: number[];
  kubeconfig?: string;
}

const INSTANCE = 'eval';

export async function runEval(o: EvalOptions): Promise<string> {
  if (o.kubeconfig) {
    throw new Error('running the harness against your own clusters (--kubeconfig) is not built yet; it runs on a local federation it starts and stops itself');
  }
  if (!EXPERIMENTS.includes(o.experiment)) throw new Error(`unknown experiment "${o.experiment}" (one of ${EXPERIMENTS.join(', ')})`);
  if (status(INSTANCE)) throw new Error(`a local federation "${INSTANCE}" exists already; stop it with "fedfeat dev down --name ${INSTANCE}"`);
  const want = (e: Experiment) => o.experiment === 'all' || o.experiment === e;
  const steps = (want('overhead') ? 2 : 0) + (want('disruption') ? 2 : 0) + (want('time-to-reconfigure') ? 3 * o.repeats : 0) + (want('scale') ? o.members.length + o.nodes.length : 0) + 2;
  const bar = new ProgressBar(steps);
  const results: EvalResults = { startedAt: new Date().toISOString(), machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) } };
  const needsFederation = want('overhead') || want('disruption') || want('time-to-reconfigure');
  try {
    if (needsFederation) {
      bar.note('starting the evaluation federation (3 members, real node when root)');
      const state = await up({ instance: INSTANCE, members: 3, nodesPerMember: 5, realNode: 'auto', quiet: true });
      bar.step(`federation up in ${state.startupSeconds}s`);
      const ctx: EvalContext = { state, repeats: o.repeats, bar };
      if (want('overhead')) results.overhead = await overhead(ctx);
      if (want('disruption')) results.disruption = await disruptionExperiment(ctx);
      if (want('time-to-reconfigure')) results.timeToReconfigure = await timeToReconfigure(ctx);
    }
  } finally {
    if (needsFederation) await down(INSTANCE, { purge: true, quiet: true });
  }
  if (want('scale')) {
    const ctx = { state: undefined as never, repeats: o.repeats, bar };
    results.scaleMembers = await scaleMembers(ctx, o.members);
    results.scaleNodes = await scaleNodes(ctx, o.nodes);
  }
  bar.step('writing the report');
  const table = writeReport(o.out, results);
  bar.end();
  return `${table}\n\nreport: ${path.join(o.out, 'report.md')}\nresults: ${path.join(o.out, 'results.json')}\n`;
}
