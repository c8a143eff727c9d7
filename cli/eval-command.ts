// `fedfeat eval ...` and `fedfeat eval cleanup`: loaded only when run (it
// brings the evaluation harness and the local federation launcher).
import path from 'node:path';
import { EvalIncomplete, EvalInterrupted, FEATURES, runCleanup, runEval, type Experiment, type RemoteOptions } from '../evaluation/run.js';
import { COMMANDS, CommandFailed, UsageError, wholeNumber, wholeNumbers, type Command } from './args.js';

const REMOTE_FLAGS = Object.keys(COMMANDS['eval cleanup'].options) as Array<keyof Command<'eval cleanup'>['values']>;

export async function evalCommand(c: Command<'eval' | 'eval cleanup'>): Promise<number> {
  try {
    return await run(c);
  } catch (e) {
    if (e instanceof EvalInterrupted) throw new CommandFailed(e.message, 130, { cause: e });
    throw e;
  }
}

async function run(c: Command<'eval' | 'eval cleanup'>): Promise<number> {
  const r = remoteOptions(c.values);
  if (c.command === 'eval cleanup') {
    if (!r) throw new UsageError('eval cleanup needs --kubeconfig PATH --context CONTEXT[,...] (a local evaluation federation is removed with "fedfeat dev down --name eval --purge")');
    process.stdout.write(await runCleanup(r));
    return 0;
  }
  const v = c.values;
  const text = await runEval({
    experiment: (c.args[0] ?? '') as Experiment, // runEval names the experiments when this is none of them
    out: v.out ?? path.join(process.cwd(), 'eval-report'),
    repeats: wholeNumber(v.repeats, 'repeats', 5),
    members: wholeNumbers(v.members, 'members', '1,5,10'),
    nodes: wholeNumbers(v.nodes, 'nodes', '10,100,1000'),
    ...(r ? { remote: r } : {}),
  }).catch((e: unknown) => {
    if (e instanceof EvalIncomplete) process.stdout.write(e.summary);
    throw e;
  });
  process.stdout.write(text);
  return 0;
}

/** The clusters to evaluate on (--kubeconfig and --context), or undefined for a local federation. */
export function remoteOptions(v: Command<'eval cleanup'>['values']): RemoteOptions | undefined {
  const kubeconfig = v.kubeconfig;
  if (!kubeconfig) {
    const stray = REMOTE_FLAGS.filter((k) => v[k] !== undefined);
    if (stray.length) throw new UsageError(`${stray.map((k) => `--${k}`).join(', ')} only apply with --kubeconfig (the local federation needs none of them)`);
    return undefined;
  }
  const contexts = (v.context ?? '').split(',').filter(Boolean);
  if (!contexts.length) throw new UsageError('--kubeconfig needs --context CONTEXT[,CONTEXT...]: the clusters to evaluate, named one by one');
  const webhookUrls: Record<string, string> = {};
  for (const pair of (v['podpreset-webhook-url'] ?? '').split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i < 1) throw new UsageError(`--podpreset-webhook-url takes CONTEXT=URL pairs separated by commas (got "${pair}")`);
    webhookUrls[pair.slice(0, i)] = pair.slice(i + 1);
  }
  const features = (v.features ?? '').split(',').filter(Boolean);
  for (const f of features) if (!(FEATURES as readonly string[]).includes(f)) throw new UsageError(`--features takes ${FEATURES.join(', ')} (got "${f}")`);
  const opt = <K extends string>(value: string | undefined, name: K) => (value ? { [name]: value } as Record<K, string> : {});
  return {
    kubeconfig, contexts, yes: v.yes === true, webhookUrls, abort: new AbortController(),
    ...(features.length ? { features: features as Array<(typeof FEATURES)[number]> } : {}),
    ...opt(v['node-agent-image'], 'nodeAgentImage'), ...opt(v['webhook-image'], 'webhookImage'), ...opt(v['web-image'], 'webImage'),
    ...opt(v['pause-image'], 'pauseImage'), ...opt(v.node, 'node'), ...opt(v['calico-manifest-url'], 'calicoManifestURL'),
    ...opt(v['simulated-node-annotation'], 'simulatedNodeAnnotation'),
  };
}
