// `fedfeat eval <experiment|all>`: on a local federation it starts and stops
// itself, or on the clusters of kubeconfig contexts the user names (after
// saying what it will change and asking). Runs the experiments with a
// progress bar, writes results.json + report.md + charts, and undoes what it
// changed. `fedfeat eval cleanup` undoes what an interrupted run left.
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { down, status, up } from '../local-federation/launcher.js';
import { confirm, describeChanges, type ExperimentName } from './consent.js';
import {
  disruptionExperiment, evalTactics, measure, overhead, scaleMembers, scaleNodes, serveCalicoStandIn, timeToReconfigure,
  type EvalContext, type ReconfigureCase,
} from './experiments.js';
import { cleanupMember, EVAL_NAMESPACE, evalNamespaces, readInstalled } from './journal.js';
import { ProgressBar } from './progress-bar.js';
import { DEFAULT_SERVICE_DISRUPTION, describeReadiness, SERVICE_DISRUPTION_PROBES, serviceDisruption } from './service-disruption.js';
import { writeReport, type EvalResults } from './report.js';
import { kubeconfigMembers, localMembers, type EvalMember, type KubeconfigTargetOptions } from './targets.js';

export const EXPERIMENTS = ['overhead', 'disruption', 'time-to-reconfigure', 'scale', 'all'] as const;
export type Experiment = (typeof EXPERIMENTS)[number];

export interface RemoteOptions extends Omit<KubeconfigTargetOptions, 'kubeconfig'> {
  kubeconfig: string;
  /** Calico manifest for clusters without a CNI (default: the official one of the tactic's version). */
  calicoManifestURL?: string;
  /** Skip the question (needed without a terminal). */
  yes: boolean;
  /** Features time-to-reconfigure measures (default: all three). */
  features?: Array<'podpreset' | 'cpumanagementpolicy' | 'networkpolicy'>;
  /** Aborted on SIGINT/SIGTERM: no new change starts; what was done is undone. */
  abort: AbortController;
  input?: Readable & { isTTY?: boolean };
  output?: Writable;
}

export interface EvalOptions {
  experiment: Experiment;
  out: string;
  repeats: number;
  members: number[];
  nodes: number[];
  /** Set: run on these kubeconfig contexts instead of a local federation. */
  remote?: RemoteOptions;
}

const INSTANCE = 'eval';
export const FEATURES = ['podpreset', 'cpumanagementpolicy', 'networkpolicy'] as const;

function chosen(experiment: Experiment): ExperimentName[] {
  return (['overhead', 'disruption', 'time-to-reconfigure'] as const).filter((e) => experiment === 'all' || experiment === e);
}

export async function runEval(o: EvalOptions): Promise<string> {
  if (!EXPERIMENTS.includes(o.experiment)) throw new Error(`unknown experiment "${o.experiment}" (one of ${EXPERIMENTS.join(', ')}, or cleanup)`);
  if (o.remote) return runRemote(o, o.remote);
  if (status(INSTANCE)) throw new Error(`a local federation "${INSTANCE}" exists already; stop it with "fedfeat dev down --name ${INSTANCE}"`);
  const want = (e: Experiment) => o.experiment === 'all' || o.experiment === e;
  const steps = (want('overhead') ? 2 : 0) + (want('disruption') ? 2 : 0) + (want('time-to-reconfigure') ? 3 * o.repeats : 0) + (want('scale') ? o.members.length + o.nodes.length : 0) + 2;
  const bar = new ProgressBar(steps);
  const results: EvalResults = { startedAt: new Date().toISOString(), machine: machine(), target: { kind: 'local', clusters: [] } };
  const ctx: EvalContext = { repeats: o.repeats, bar, skipped: [] };
  const needsFederation = chosen(o.experiment).length > 0;
  try {
    if (needsFederation) {
      bar.note('starting the evaluation federation (3 members, 3 real nodes in member-1 when root)');
      const state = await up({ instance: INSTANCE, members: 3, nodesPerMember: 5, realNode: 'auto', hostNode: false, quiet: true }); // the harness runs its controller as a host process
      bar.step(`federation up in ${state.startupSeconds}s`);
      results.target.clusters = state.clusters.filter((c) => c.role === 'member').map((c) => ({ name: c.name, server: c.server }));
      // The local federation's roles: member-1 has the real node, member-2 gets PodPreset, member-3 Calico (stand-in).
      const [m1, m2, m3] = await localMembers(state, ['member-1', 'member-2', 'member-3']);
      const real = state.realNodes?.length ? m1 : undefined;
      const calico = await serveCalicoStandIn();
      try {
        if (want('overhead')) results.overhead = await measure(ctx, 'overhead', 'member-1/member-2', () => overhead(ctx, m2, real));
        if (want('disruption')) {
          const k = state.realNodes?.length ?? 0;
          if (real && k >= 2) {
            // Several real nodes: through a Service, all at once (the paper's DaemonSet) vs rolling vs rolling with drain.
            // Twice: the paper's readiness probe (every 1 s, instant) and a slow one (a database's readiness script).
            results.serviceDisruption = [];
            for (const readiness of SERVICE_DISRUPTION_PROBES) {
              const sd = await measure(ctx, 'disruption', 'member-1', () => serviceDisruption(real, state, {
                ...DEFAULT_SERVICE_DISRUPTION, readiness, note: (msg) => bar.note(`${describeReadiness(readiness)}: ${msg}`),
              }));
              if (sd) results.serviceDisruption.push(sd);
              bar.step(`disruption through a Service, ${describeReadiness(readiness)}, done`);
            }
          } else {
            const runs = real ? (await measure(ctx, 'disruption', 'member-1', () => disruptionExperiment(ctx, real))) ?? [] : [];
            if (!real) ctx.skipped.push({ experiment: 'disruption', member: 'member-1', reason: 'no real node (the real node needs root)' });
            results.disruption = { runs, note: `${k} real node${k === 1 ? '' : 's'} in member-1; the web pod runs on one of them and is reached by its pod IP, not through a Service` };
          }
        }
        if (want('time-to-reconfigure')) {
          const cases: ReconfigureCase[] = [
            { member: m2!, feature: 'podpreset' },
            { member: m3!, feature: 'networkpolicy', calicoManifestURL: calico.url, note: 'Calico stand-in manifest on KWOK nodes (real Calico images cannot be pulled here)' },
          ];
          if (real) cases.push({ member: real, feature: 'cpumanagementpolicy', note: `${state.realNodes!.length} real nodes` });
          results.timeToReconfigure = await timeToReconfigure(ctx, cases);
        }
      } finally {
        calico.close();
        for (const m of [m1, m2, m3]) m?.ctx.client.close();
      }
    }
  } finally {
    if (needsFederation) await down(INSTANCE, { purge: true, quiet: true });
  }
  if (want('scale')) {
    results.scaleMembers = await scaleMembers(ctx, o.members);
    results.scaleNodes = await scaleNodes(ctx, o.nodes);
  }
  return finish(o.out, results, ctx, bar);
}

function machine(): EvalResults['machine'] {
  return { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
}

/** Some measurements failed; the report holds the others. The CLI prints `summary` and exits 1. */
export class EvalIncomplete extends Error {
  constructor(readonly summary: string, failed: number) {
    super(`${failed} measurement(s) failed (listed above and under "Not measured" in the report); the others are in the report`);
  }
}

function finish(out: string, results: EvalResults, ctx: EvalContext, bar: ProgressBar): string {
  if (ctx.skipped.length) results.skipped = ctx.skipped;
  bar.step('writing the report');
  const table = writeReport(out, results);
  bar.end();
  const skipped = ctx.skipped.map((s) => `  not measured: ${s.experiment} on ${s.member}: ${s.reason}`).join('\n');
  const summary = `${table}\n${skipped ? `\n${skipped}\n` : ''}\nreport: ${path.join(out, 'report.md')}\nresults: ${path.join(out, 'results.json')}\n`;
  const failed = ctx.skipped.filter((s) => s.failed).length;
  if (failed) throw new EvalIncomplete(summary, failed);
  return summary;
}

async function nodeCount(m: EvalMember): Promise<number> {
  return (await m.ctx.client.list('/api/v1/nodes')).items.length;
}

/** A run an earlier, interrupted run left behind must be cleaned up first: the harness would otherwise take it for the cluster's own. */
async function refuseLeftovers(members: EvalMember[], kubeconfig: string): Promise<void> {
  for (const m of members) {
    const left = (await readInstalled(m.ctx.client)).map((f) => f.name);
    if (left.length) {
      throw new Error(`context ${m.name} still has ${left.join(', ')} from an earlier, interrupted evaluation; undo it first: fedfeat eval cleanup --kubeconfig ${kubeconfig} --context ${m.name}`);
    }
  }
}

async function runRemote(o: EvalOptions, r: RemoteOptions): Promise<string> {
  if (o.experiment === 'scale') throw new Error('the scale experiment builds local federations of 1 to 25 members itself; it does not run on your clusters (drop --kubeconfig)');
  const experiments = chosen(o.experiment);
  const members = await kubeconfigMembers({ ...r, signal: r.abort.signal });
  const output = r.output ?? process.stderr;
  try {
    const clusters = await Promise.all(members.map(async (m) => ({ name: m.name, server: m.server, nodes: await nodeCount(m) })));
    await confirm(describeChanges(clusters, experiments, o.repeats, r.features ? [...r.features] : undefined), { yes: r.yes, input: r.input ?? process.stdin, output });
    await refuseLeftovers(members, r.kubeconfig);
    const n = members.length;
    const steps = (experiments.includes('overhead') ? 2 * n : 0) + (experiments.includes('disruption') ? 2 * n : 0) + (experiments.includes('time-to-reconfigure') ? (r.features ?? FEATURES).length * o.repeats * n : 0) + 2;
    const bar = new ProgressBar(steps);
    bar.step(`${n} cluster(s) answered`);
    const ctx: EvalContext = { repeats: o.repeats, bar, skipped: [] };
    const results: EvalResults = { startedAt: new Date().toISOString(), machine: machine(), target: { kind: 'kubeconfig', clusters: clusters.map(({ name, server }) => ({ name, server })) } };
    // Ctrl-C or SIGTERM: no new change starts, the current step ends, everything recorded is undone.
    // A second one exits at once; what is recorded stays for "fedfeat eval cleanup".
    const onSignal = (sig: NodeJS.Signals) => {
      if (r.abort.signal.aborted) {
        output.write(`\n${sig} again: exiting now; undo what is left with: fedfeat eval cleanup --kubeconfig ${r.kubeconfig} --context ${r.contexts.join(',')}\n`);
        process.exit(130);
      }
      output.write(`\n${sig}: finishing the current step, then undoing what the evaluation changed (recorded in namespace ${EVAL_NAMESPACE}); again to exit at once\n`);
      r.abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      for (const m of members) {
        if (r.abort.signal.aborted) break;
        if (experiments.includes('overhead')) results.overhead = [...(results.overhead ?? []), ...(await overhead(ctx, m, m))];
        if (experiments.includes('disruption')) {
          results.disruption = { runs: [...(results.disruption?.runs ?? []), ...(await disruptionExperiment(ctx, m))], note: 'through the API server pod proxy, so an API server hiccup counts too' };
        }
        if (experiments.includes('time-to-reconfigure')) {
          const cases = (r.features ?? FEATURES).map((feature) => ({ member: m, feature, ...(r.calicoManifestURL ? { calicoManifestURL: r.calicoManifestURL } : {}) }));
          results.timeToReconfigure = [...(results.timeToReconfigure ?? []), ...(await timeToReconfigure(ctx, cases))];
        }
      }
    } catch (e) {
      // Interrupted: the step in progress ended (with an Interrupted error or not); undone below.
      if (!r.abort.signal.aborted) throw e;
    } finally {
      const problems = await cleanupAll(members, r.abort.signal.aborted ? output : undefined);
      for (const p of problems) {
        output.write(`${p.member}: NOT undone: ${p.error}\n`);
        ctx.skipped.push({ experiment: 'cleanup', member: p.member, reason: p.error, failed: true });
      }
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (r.abort.signal.aborted) {
      const left = ctx.skipped.some((s) => s.experiment === 'cleanup');
      throw new EvalInterrupted(`interrupted; ${left ? `NOT everything was undone (see above): run fedfeat eval cleanup --kubeconfig ${r.kubeconfig} --context ${r.contexts.join(',')}` : 'everything the evaluation changed is undone'}`);
    }
    return finish(o.out, results, ctx, bar);
  } finally {
    for (const m of members) m.ctx.client.close();
  }
}

/** The run stopped on a signal (after undoing what it could): exit status 130. */
export class EvalInterrupted extends Error {}

/** Undoes every recorded change on every member; returns what could not be undone. */
async function cleanupAll(members: EvalMember[], output: Writable | undefined): Promise<Array<{ member: string; error: string }>> {
  const problems: Array<{ member: string; error: string }> = [];
  await Promise.all(members.map(async (m) => {
    try {
      const res = await cleanupMember(m.ctx, evalTactics(m));
      output?.write(`${m.name}: reverted ${res.reverted.join(', ') || 'nothing'}; deleted namespaces ${res.namespaces.join(', ') || 'none'}\n`);
      for (const e of res.errors) problems.push({ member: m.name, error: e });
    } catch (e) {
      problems.push({ member: m.name, error: (e as Error).message });
    }
  }));
  return problems;
}

/** `fedfeat eval cleanup`: shows what earlier runs left on the named contexts, asks, and undoes it. */
export async function runCleanup(r: Omit<RemoteOptions, 'abort'>): Promise<string> {
  const members = await kubeconfigMembers(r);
  const output = r.output ?? process.stderr;
  try {
    const lines = ['fedfeat eval cleanup will undo, on these clusters only:'];
    let anything = false;
    for (const m of members) {
      const features = (await readInstalled(m.ctx.client)).map((f) => f.name);
      const nss = await evalNamespaces(m.ctx.client);
      anything ||= features.length > 0 || nss.length > 0;
      lines.push(`  - context ${m.name} (${m.server}): revert ${features.join(', ') || 'nothing'}; delete namespaces ${nss.join(', ') || 'none'}`);
    }
    if (!anything) return `${lines.slice(1).join('\n')}\nnothing to undo.\n`;
    await confirm(lines.join('\n'), { yes: r.yes, input: r.input ?? process.stdin, output });
    const problems = await cleanupAll(members, output);
    for (const p of problems) output.write(`${p.member}: NOT undone: ${p.error}\n`);
    if (problems.length) throw new Error(`cleanup incomplete on ${[...new Set(problems.map((p) => p.member))].join(', ')}; run it again (what is left stays recorded)`);
    return 'cleanup done: nothing the evaluation changed is left.\n';
  } finally {
    for (const m of members) m.ctx.client.close();
  }
}
