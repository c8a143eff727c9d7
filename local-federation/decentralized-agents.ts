// `fedfeat dev up --decentralized`: an agent process per member (decentralized
// mode, issue 16) instead of a host controller. The launcher still starts the
// host API server (it is how the local federation is built), but nothing here
// uses it: each agent talks only to its own member and to the other agents.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createFleetCA, issueAgentCert } from '../decentralized/agent-cert.js';
import { freePort } from './free-port.js';
import { startProcess } from './processes.js';
import { repoRoot } from './repo-root.js';
import { writeState, type FederationState } from './state.js';

export interface AgentProcess {
  member: string;
  port: number;
  tlsDir: string;
  stateDir: string;
  logFile: string;
}

/** The agent's command line: each agent is given the agents started before it as seeds (the rest it learns from the document). */
export function agentCommand(a: AgentProcess, kubeconfig: string, seeds: AgentProcess[]): string[] {
  return [
    process.execPath, path.join(repoRoot, 'bin', 'fedfeat.js'), 'agent', '--member', a.member, '--kubeconfig', kubeconfig,
    '--tls-dir', a.tlsDir, '--listen', `127.0.0.1:${a.port}`, '--state-dir', a.stateDir, '--labels', `name=${a.member}`,
    ...(seeds.length ? ['--peers', seeds.map((s) => `${s.member}=127.0.0.1:${s.port}`).join(',')] : []),
  ];
}

/** Issues the fleet CA and agent certificates and starts one agent per member, recorded in the state so `down` stops them. */
export async function startAgents(state: FederationState): Promise<AgentProcess[]> {
  const root = path.join(state.dir, 'agents');
  const ca = await createFleetCA(state.instance);
  mkdirSync(path.join(root, 'fleet-ca'), { recursive: true });
  writeFileSync(path.join(root, 'fleet-ca', 'ca.crt'), ca.cert);
  writeFileSync(path.join(root, 'fleet-ca', 'ca.key'), ca.key, { mode: 0o600 });
  const started: AgentProcess[] = [];
  for (const cluster of state.clusters.filter((c) => c.role === 'member')) {
    const a: AgentProcess = {
      member: cluster.name, port: await freePort(), tlsDir: path.join(root, cluster.name, 'tls'),
      stateDir: path.join(root, cluster.name, 'state'), logFile: path.join(state.dir, 'logs', `agent-${cluster.name}.log`),
    };
    const creds = await issueAgentCert(ca, a.member, { ipAddresses: ['127.0.0.1'] });
    mkdirSync(a.tlsDir, { recursive: true });
    writeFileSync(path.join(a.tlsDir, 'ca.crt'), creds.ca);
    writeFileSync(path.join(a.tlsDir, 'tls.crt'), creds.cert);
    writeFileSync(path.join(a.tlsDir, 'tls.key'), creds.key, { mode: 0o600 });
    mkdirSync(path.dirname(a.logFile), { recursive: true });
    state.processes.push(startProcess(`agent-${a.member}`, agentCommand(a, cluster.kubeconfig, started.slice(0, 2)), { logFile: a.logFile }));
    writeState(state);
    started.push(a);
  }
  return started;
}
