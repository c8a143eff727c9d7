// `fedfeat dev up --decentralized`: an agent process per member (decentralized
// mode, issue 16) instead of a host controller. The launcher still starts the
// host API server (it is how the local federation is built), but nothing here
// uses it: each agent talks only to its own member and to the other agents.
//
// Members join the way users join them: `fedfeat join MEMBER --context MEMBER
// --decentralized --ca-dir <state>/agents/fleet-ca --no-deployment` (the CLI's
// own code, run in this process), which writes the agent's certificate
// (Secret fedfeat-agent-tls), its settings (ConfigMap fedfeat-agent),
// ServiceAccount and roles on the member. Each agent process is then
// configured from what join wrote, as the Deployment's pod would be: the
// Secret's and the ConfigMap's data written as files (the pod's volumes) and
// `fedfeat agent --config-dir --tls-dir`. It uses the member's admin
// kubeconfig, not the ServiceAccount's token (a process on this machine has
// no projected token; the pod in tests/integration/decentralized.test.ts
// runs with the ServiceAccount).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentCredentials } from '../decentralized/agent-cert.js';
import { KubeClient } from '../kube-client/client.js';
import { freePort } from './free-port.js';
import { startProcess, type ProcessRecord, type StartOptions } from './processes.js';
import { repoRoot } from './repo-root.js';
import { writeState, type ClusterState, type FederationState } from './state.js';

export interface AgentProcess {
  member: string;
  port: number;
  /** The Secret fedfeat-agent-tls's data as files (ca.crt, tls.crt, tls.key). */
  tlsDir: string;
  /** The ConfigMap fedfeat-agent's data as files (member, peers, advertise, labels). */
  configDir: string;
  stateDir: string;
  logFile: string;
}

/** What `fedfeat join --decentralized` wrote on a member. */
export interface JoinedAgent {
  credentials: AgentCredentials;
  config: Record<string, string>;
}

/** The I/O, replaceable in tests. */
export interface AgentLaunchDeps {
  /** Runs `fedfeat join` with these arguments. */
  join(argv: string[], log: (line: string) => void): Promise<void>;
  /** Reads back the Secret and ConfigMap join wrote on the member. */
  joined(cluster: ClusterState): Promise<JoinedAgent>;
  start(name: string, command: string[], opts: StartOptions): ProcessRecord;
  port(): Promise<number>;
  log(line: string): void;
}

/** Each member names the first two other members' agents as peers (the rest it learns from the addresses in the document). */
export function peersOf(member: string, all: AgentProcess[]): AgentProcess[] {
  return all.filter((a) => a.member !== member).slice(0, 2);
}

/** The `fedfeat join` arguments for one member of the local federation (its agent a process listening on loopback). */
export function joinArgs(a: AgentProcess, kubeconfig: string, caDir: string, peers: AgentProcess[]): string[] {
  return [
    'join', a.member, '--kubeconfig', kubeconfig, '--context', a.member, '--decentralized', '--ca-dir', caDir, '--no-deployment',
    // enforce, as the host-mode join of the local federation; the certificate names the loopback address the agent listens on.
    '--access', 'enforce', '--ip-addresses', '127.0.0.1', '--advertise', `127.0.0.1:${a.port}`,
    ...(peers.length ? ['--peers', peers.map((p) => `${p.member}=127.0.0.1:${p.port}`).join(',')] : []),
  ];
}

/** The agent's command line: everything per member comes from the files join's objects were written to. */
export function agentCommand(a: AgentProcess, kubeconfig: string): string[] {
  return [
    process.execPath, path.join(repoRoot, 'bin', 'fedfeat.js'), 'agent', '--config-dir', a.configDir, '--tls-dir', a.tlsDir,
    '--kubeconfig', kubeconfig, '--listen', `127.0.0.1:${a.port}`, '--state-dir', a.stateDir,
  ];
}

/** Writes the Secret's and ConfigMap's data as a pod's volumes hold them: one file per key. */
export function writeMounted(a: AgentProcess, joined: JoinedAgent): void {
  mkdirSync(a.tlsDir, { recursive: true });
  writeFileSync(path.join(a.tlsDir, 'ca.crt'), joined.credentials.ca);
  writeFileSync(path.join(a.tlsDir, 'tls.crt'), joined.credentials.cert);
  writeFileSync(path.join(a.tlsDir, 'tls.key'), joined.credentials.key, { mode: 0o600 });
  mkdirSync(a.configDir, { recursive: true });
  for (const [k, v] of Object.entries(joined.config)) writeFileSync(path.join(a.configDir, k), v);
}

async function runJoin(argv: string[], log: (line: string) => void): Promise<void> {
  const { parseCommandLine } = await import('../cli/args.js');
  const { joinCommand } = await import('../cli/join-command.js');
  const c = parseCommandLine(argv);
  if (c.command !== 'join') throw new Error(`not a join command line: ${argv.join(' ')}`);
  const code = await joinCommand(c, log);
  if (code !== 0) throw new Error(`fedfeat ${argv.join(' ')} exited ${code}`);
}

async function readJoined(cluster: ClusterState): Promise<JoinedAgent> {
  const { joinedAgentConfig, joinedAgentCredentials } = await import('../join/agent-join.js');
  const client = await KubeClient.fromKubeConfig(cluster.kubeconfig);
  try {
    const [config, credentials] = [await joinedAgentConfig(client), await joinedAgentCredentials(client)];
    if (!config || !credentials) throw new Error(`${cluster.name}: join wrote no agent ConfigMap or Secret`);
    return { config, credentials };
  } finally {
    client.close();
  }
}

const DEFAULT_DEPS: AgentLaunchDeps = {
  join: runJoin, joined: readJoined, start: startProcess, port: () => freePort(),
  log: (line) => void process.stderr.write(`${line}\n`),
};

/** Joins at most this many members at once (after the first, which creates the fleet CA). */
const JOIN_CONCURRENCY = 8;

/**
 * Joins every member with `fedfeat join --decentralized` (fleet CA in the federation's state dir) and starts one
 * agent process per member from what join wrote, recorded in the state so `down` stops them.
 */
export async function startAgents(state: FederationState, deps: Partial<AgentLaunchDeps> = {}): Promise<AgentProcess[]> {
  const d = { ...DEFAULT_DEPS, ...deps };
  const root = path.join(state.dir, 'agents');
  // A new federation is a new fleet: no CA, certificates or saved documents from an earlier one.
  rmSync(root, { recursive: true, force: true });
  const caDir = path.join(root, 'fleet-ca');
  const kubeconfig = path.join(state.dir, 'kubeconfig');
  const members = state.clusters.filter((c) => c.role === 'member');
  const agents: AgentProcess[] = [];
  for (const c of members) {
    agents.push({
      member: c.name, port: await d.port(), tlsDir: path.join(root, c.name, 'tls'), configDir: path.join(root, c.name, 'config'),
      stateDir: path.join(root, c.name, 'state'), logFile: path.join(state.dir, 'logs', `agent-${c.name}.log`),
    });
  }
  const one = async (a: AgentProcess, cluster: ClusterState) => {
    await d.join(joinArgs(a, kubeconfig, caDir, peersOf(a.member, agents)), d.log);
    writeMounted(a, await d.joined(cluster));
    mkdirSync(path.dirname(a.logFile), { recursive: true });
    state.processes.push(d.start(`agent-${a.member}`, agentCommand(a, cluster.kubeconfig), { logFile: a.logFile }));
    writeState(state);
  };
  // The first join creates the fleet CA in caDir; the others then only read it.
  for (let i = 0; i < agents.length; i = i === 0 ? 1 : i + JOIN_CONCURRENCY) {
    const batch = i === 0 ? [0] : agents.slice(i, i + JOIN_CONCURRENCY).map((_, j) => i + j);
    await Promise.all(batch.map((k) => one(agents[k]!, members[k]!)));
  }
  return agents;
}
