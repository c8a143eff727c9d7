// fedfeat command line.
import path from 'node:path';
import { down, FederationAlreadyRunning, status, up, type UpOptions } from '../local-federation/launcher.js';
import { isRunning } from '../local-federation/processes.js';
import { instanceDir } from '../local-federation/state.js';
import { demo } from './demo.js';
import { printFederationSummary } from './federation-summary.js';
import { fetchFeatureConfigs, renderStatus } from './status-table.js';
import { runController } from '../controller/run.js';
import { runPodPresetWebhook } from '../webhooks/podpreset/run.js';
import { EvalIncomplete, EvalInterrupted, FEATURES, runCleanup, runEval, type Experiment, type RemoteOptions } from '../evaluation/run.js';
import { KubeClient } from '../kube-client/client.js';
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs, type Parsed } from './args.js';
import { sleep } from '../kube-client/wait.js';

const USAGE = `fedfeat: feature compatibility for federations of Kubernetes clusters

Usage:
  fedfeat controller [--kubeconfig PATH] [--listen HOST:PORT] [--leader-elect true|false]
        [--lease-namespace NS] [--simulated-node-annotation KEY=VALUE] [--resync-seconds N] [--workers N]
        [--health-period-seconds N] [--verify-timeout-seconds N] [--identity ID] [--calico-manifest-url URL]
        Run the controller against the host cluster (in-cluster config without --kubeconfig).
  fedfeat webhook podpreset [--kubeconfig PATH] [--listen HOST:PORT] (--tls-dir DIR | --tls-secret NS/NAME)
        Serve the PodPreset mutating admission webhook (what the podpreset tactic deploys on members).
  fedfeat eval overhead|disruption|time-to-reconfigure|scale|all [--out DIR] [--repeats N]
        [--members 1,5,10] [--nodes 10,100,1000]
        The paper's experiments (and scale) on a local federation the harness starts and stops:
        results.json, report.md and PNG charts in DIR (default ./eval-report).
  fedfeat eval overhead|disruption|time-to-reconfigure|all --kubeconfig PATH --context CTX[,CTX...] [--yes]
        [--node-agent-image REF] [--webhook-image REF] [--podpreset-webhook-url CTX=URL,...] [--web-image REF]
        [--pause-image REF] [--node NAME] [--calico-manifest-url URL] [--simulated-node-annotation KEY=VALUE]
        [--features podpreset,cpumanagementpolicy,networkpolicy]
        The same on your clusters (only the named contexts): says what it will change, asks (or --yes),
        records every change on the cluster first (namespace fedfeat-eval) and reverts it at the end.
  fedfeat eval cleanup --kubeconfig PATH --context CTX[,CTX...] [--yes]
        Undo what an interrupted evaluation left on those clusters.
  fedfeat status [NAME] [--kubeconfig PATH] [--watch]
        The per-cluster, per-feature state of FeatureConfigs on the host.
  fedfeat dev up [--members N] [--nodes M] [--name NAME] [--real-node auto|on|off] [--keep-on-failure]
        Start a local federation of real Kubernetes processes (default: 3 members, 5 KWOK nodes each,
        one real kubelet node in member-1 when running as root).
  fedfeat dev down [--name NAME] [--purge]
        Stop exactly the processes "up" started and remove its network namespace and cgroups.
  fedfeat dev status [--name NAME]
        Show the federation's clusters, processes and the members registered on the host.
  fedfeat dev demo [--name NAME]
        On a running federation: install fedfeat on the host from manifests/, start the controller,
        apply the paper's Listing 1 FeatureConfig and show its status.
  fedfeat dev env [--name NAME]
        Print shell exports (KUBECONFIG, PATH with the matching kubectl).

NAME defaults to "dev"; state lives in $FEDFEAT_HOME (default ~/.fedfeat)/federations/NAME.
`;

class UsageError extends Error {}

function intFlag(flags: Parsed['flags'], name: string, dflt: number): number {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  if (v === true || !/^\d+$/.test(v)) throw new UsageError(`--${name} needs a whole number (got ${v === true ? 'nothing' : `"${v}"`})`);
  return Number(v);
}

function checkFlags(flags: Parsed['flags'], allowed: string[]): void {
  for (const k of flags.keys()) if (!allowed.includes(k)) throw new UsageError(`unknown flag --${k} (allowed: ${allowed.map((a) => `--${a}`).join(', ')})`);
}

async function main(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv);
  const [group, cmd] = positional;
  if (!group || group === 'help' || flags.has('help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (group === 'controller') {
    checkFlags(flags, ['kubeconfig', 'listen', 'leader-elect', 'lease-namespace', 'simulated-node-annotation', 'resync-seconds', 'workers', 'identity', 'health-period-seconds', 'verify-timeout-seconds', 'calico-manifest-url']);
    const str = (k: string) => (typeof flags.get(k) === 'string' ? (flags.get(k) as string) : undefined);
    const le = str('leader-elect') ?? 'true';
    if (!['true', 'false'].includes(le)) throw new UsageError(`--leader-elect must be true or false (got "${le}")`);
    const annotation = str('simulated-node-annotation');
    await runController({
      kubeconfig: str('kubeconfig'),
      listen: str('listen') ?? '127.0.0.1:8080',
      leaderElect: le === 'true',
      leaseNamespace: str('lease-namespace') ?? 'kube-federation-system',
      identity: str('identity'),
      calicoManifestURL: str('calico-manifest-url'),
      controller: {
        resyncMs: intFlag(flags, 'resync-seconds', 60) * 1000,
        workers: intFlag(flags, 'workers', 16),
        verifyTimeoutMs: intFlag(flags, 'verify-timeout-seconds', 300) * 1000,
        health: { periodMs: intFlag(flags, 'health-period-seconds', 10) * 1000, timeoutMs: 3000, failureThreshold: 3, successThreshold: 1 },
        ...(annotation ? { probe: { simulatedNodeAnnotation: annotation, nodeProbeConcurrency: 8, requestTimeoutMs: 10_000 } } : {}),
      },
    });
    return new Promise<number>(() => undefined); // runs until SIGTERM
  }
  if (group === 'webhook') {
    if (cmd !== 'podpreset') throw new UsageError('webhook needs a kind: podpreset');
    checkFlags(flags, ['kubeconfig', 'listen', 'tls-dir', 'tls-secret']);
    const str = (k: string) => (typeof flags.get(k) === 'string' ? (flags.get(k) as string) : undefined);
    await runPodPresetWebhook({ kubeconfig: str('kubeconfig'), listen: str('listen') ?? '0.0.0.0:8443', tlsDir: str('tls-dir'), tlsSecret: str('tls-secret') });
    return new Promise<number>(() => undefined); // runs until SIGTERM
  }
  if (group === 'eval') {
    const remoteFlags = ['kubeconfig', 'context', 'yes', 'podpreset-webhook-url', 'node-agent-image', 'webhook-image', 'web-image', 'pause-image', 'node', 'calico-manifest-url', 'simulated-node-annotation', 'features'];
    const str = (k: string) => {
      const v = flags.get(k);
      if (v === true) throw new UsageError(`--${k} needs a value`);
      return v;
    };
    const remote = (): RemoteOptions | undefined => {
      const kubeconfig = str('kubeconfig');
      if (!kubeconfig) {
        const stray = remoteFlags.filter((k) => flags.has(k));
        if (stray.length) throw new UsageError(`${stray.map((k) => `--${k}`).join(', ')} only apply with --kubeconfig (the local federation needs none of them)`);
        return undefined;
      }
      const contexts = (str('context') ?? '').split(',').filter(Boolean);
      if (!contexts.length) throw new UsageError('--kubeconfig needs --context CONTEXT[,CONTEXT...]: the clusters to evaluate, named one by one');
      const webhookUrls: Record<string, string> = {};
      for (const pair of (str('podpreset-webhook-url') ?? '').split(',').filter(Boolean)) {
        const i = pair.indexOf('=');
        if (i < 1) throw new UsageError(`--podpreset-webhook-url takes CONTEXT=URL pairs separated by commas (got "${pair}")`);
        webhookUrls[pair.slice(0, i)] = pair.slice(i + 1);
      }
      const features = (str('features') ?? '').split(',').filter(Boolean);
      for (const f of features) if (!(FEATURES as readonly string[]).includes(f)) throw new UsageError(`--features takes ${FEATURES.join(', ')} (got "${f}")`);
      const opt = (k: string, name: string) => (str(k) ? { [name]: str(k) } : {});
      return {
        kubeconfig, contexts, yes: flags.get('yes') === true || flags.get('yes') === 'true', webhookUrls, abort: new AbortController(),
        ...(features.length ? { features: features as Array<(typeof FEATURES)[number]> } : {}),
        ...opt('node-agent-image', 'nodeAgentImage'), ...opt('webhook-image', 'webhookImage'), ...opt('web-image', 'webImage'), ...opt('pause-image', 'pauseImage'),
        ...opt('node', 'node'), ...opt('calico-manifest-url', 'calicoManifestURL'), ...opt('simulated-node-annotation', 'simulatedNodeAnnotation'),
      };
    };
    if (cmd === 'cleanup') {
      checkFlags(flags, remoteFlags);
      const r = remote();
      if (!r) throw new UsageError('eval cleanup needs --kubeconfig PATH --context CONTEXT[,...] (a local evaluation federation is removed with "fedfeat dev down --name eval --purge")');
      process.stdout.write(await runCleanup(r));
      return 0;
    }
    checkFlags(flags, ['out', 'repeats', 'members', 'nodes', ...remoteFlags]);
    const list = (k: string, dflt: string) => {
      const v = typeof flags.get(k) === 'string' ? (flags.get(k) as string) : dflt;
      const xs = v.split(',').map(Number);
      if (xs.some((x) => !Number.isInteger(x) || x < 1)) throw new UsageError(`--${k} needs whole numbers separated by commas (got "${v}")`);
      return xs;
    };
    const r = remote();
    const text = await runEval({
      experiment: (cmd ?? '') as Experiment,
      out: typeof flags.get('out') === 'string' ? (flags.get('out') as string) : path.join(process.cwd(), 'eval-report'),
      repeats: intFlag(flags, 'repeats', 5),
      members: list('members', '1,5,10'),
      nodes: list('nodes', '10,100,1000'),
      ...(r ? { remote: r } : {}),
    }).catch((e: unknown) => {
      if (!(e instanceof EvalIncomplete)) throw e;
      process.stdout.write(e.summary);
      throw e;
    });
    process.stdout.write(text);
    return 0;
  }
  if (group === 'status') {
    checkFlags(flags, ['kubeconfig', 'watch']);
    const kc = new KubeConfig();
    const path = typeof flags.get('kubeconfig') === 'string' ? (flags.get('kubeconfig') as string) : undefined;
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
    const host = await KubeClient.fromKubeConfig(kc);
    try {
      for (;;) {
        const text = renderStatus(await fetchFeatureConfigs(host, positional[1]));
        process.stdout.write(flags.has('watch') ? `\x1b[2J\x1b[H${new Date().toISOString()}\n${text}` : text);
        if (!flags.has('watch')) return 0;
        await sleep(2000);
      }
    } finally {
      host.close();
    }
  }
  if (group !== 'dev') throw new UsageError(`unknown command "${group}"`);
  const name = typeof flags.get('name') === 'string' ? (flags.get('name') as string) : 'dev';
  switch (cmd) {
    case 'up': {
      checkFlags(flags, ['members', 'nodes', 'name', 'real-node', 'keep-on-failure']);
      const opts: UpOptions = {
        instance: name,
        members: intFlag(flags, 'members', 3),
        nodesPerMember: intFlag(flags, 'nodes', 5),
        realNode: (flags.get('real-node') ?? 'auto') as UpOptions['realNode'],
        keepOnFailure: flags.has('keep-on-failure'),
      };
      const state = await up(opts);
      await printFederationSummary(state);
      return 0;
    }
    case 'down': {
      checkFlags(flags, ['name', 'purge']);
      await down(name, { purge: flags.has('purge') });
      return 0;
    }
    case 'status': {
      checkFlags(flags, ['name']);
      const state = status(name);
      if (!state) {
        process.stdout.write(`no local federation "${name}" (${instanceDir(name)})\n`);
        return 1;
      }
      await printFederationSummary(state);
      const dead = state.processes.filter((p) => !isRunning(p));
      return dead.length ? 1 : 0;
    }
    case 'demo': {
      checkFlags(flags, ['name']);
      await demo(name);
      return 0;
    }
    case 'env': {
      checkFlags(flags, ['name']);
      const state = status(name);
      if (!state) throw new Error(`no local federation "${name}"; run "fedfeat dev up" first`);
      process.stdout.write(`export KUBECONFIG=${path.join(state.dir, 'kubeconfig')}\nexport PATH=${state.binDir}:$PATH\n`);
      return 0;
    }
    default:
      throw new UsageError(cmd ? `unknown dev command "${cmd}"` : 'dev needs a command: up, down, status, demo or env');
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`fedfeat: ${err.message}\n`);
    if (err instanceof UsageError) process.stderr.write('run "fedfeat help" for usage\n');
    process.exit(err instanceof UsageError ? 2 : err instanceof FederationAlreadyRunning ? 3 : err instanceof EvalInterrupted ? 130 : 1);
  },
);
