// `fedfeat dev ...`: the local federation. Loaded only when run, so the
// controller and the webhook never load the launcher.
import path from 'node:path';
import { DEFAULT_REAL_NODES, down, FederationAlreadyRunning, status, up, type UpOptions } from '../local-federation/launcher.js';
import { isRunning } from '../local-federation/processes.js';
import { parseNodeSizes } from '../local-federation/node-sizes.js';
import { instanceDir } from '../local-federation/state.js';
import { demo } from './demo.js';
import { printFederationSummary } from './federation-summary.js';
import { CommandFailed, UsageError, wholeNumber, type Command } from './args.js';

type DevCommand = Command<'dev up' | 'dev down' | 'dev status' | 'dev demo' | 'dev env'>;

export async function devCommand(c: DevCommand): Promise<number> {
  try {
    return await run(c);
  } catch (e) {
    if (e instanceof FederationAlreadyRunning) throw new CommandFailed(e.message, 3, { cause: e });
    throw e;
  }
}

function onOff(v: string | undefined, flag: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v !== 'on' && v !== 'off') throw new UsageError(`--${flag} must be on or off (got "${v}")`);
  return v === 'on';
}

function nodeSizes(spec: string, members: number): UpOptions['nodeSizes'] {
  try {
    return parseNodeSizes(spec, members);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function run(c: DevCommand): Promise<number> {
  const name = c.values.name ?? 'dev';
  switch (c.command) {
    case 'dev up': {
      const v = c.values;
      const members = wholeNumber(v.members, 'members', 3);
      const opts: UpOptions = {
        instance: name,
        members,
        nodesPerMember: wholeNumber(v.nodes, 'nodes', 5),
        ...(v['node-size'] !== undefined ? { nodeSizes: nodeSizes(v['node-size'], members) } : {}),
        realNode: (v['real-node'] ?? 'auto') as UpOptions['realNode'], // up() refuses anything but auto, on, off
        realNodes: wholeNumber(v['real-nodes'], 'real-nodes', DEFAULT_REAL_NODES), // up() refuses 0 and more than 8
        hostNode: onOff(v['host-node'], 'host-node', true),
        keepOnFailure: v['keep-on-failure'] === true,
      };
      const state = await up(opts);
      if (v.decentralized === true) {
        const { startAgents } = await import('../local-federation/decentralized-agents.js');
        const t0 = Date.now();
        const agents = await startAgents(state);
        process.stdout.write(`decentralized: ${agents.length} agents joined and started in ${((Date.now() - t0) / 1000).toFixed(1)} s, with fedfeat join --decentralized (fleet CA ${path.join(state.dir, 'agents', 'fleet-ca')}; no host controller): ${agents.map((a) => `${a.member} gossip 127.0.0.1:${a.port}, log ${a.logFile}`).join('; ')}\n`);
      }
      await printFederationSummary(state);
      return 0;
    }
    case 'dev down':
      await down(name, { purge: c.values.purge === true });
      return 0;
    case 'dev status': {
      const state = status(name);
      if (!state) {
        process.stdout.write(`no local federation "${name}" (${instanceDir(name)})\n`);
        return 1;
      }
      await printFederationSummary(state);
      return state.processes.some((p) => !isRunning(p)) ? 1 : 0;
    }
    case 'dev demo':
      await demo(name);
      return 0;
    case 'dev env': {
      const state = status(name);
      if (!state) throw new Error(`no local federation "${name}"; run "fedfeat dev up" first`);
      process.stdout.write(`export KUBECONFIG=${path.join(state.dir, 'kubeconfig')}\nexport PATH=${state.binDir}:$PATH\n`);
      return 0;
    }
  }
}
