// Host mode beside decentralized mode on the same members (issue 16): one
// local federation, first the host-mode controller (a process against the
// host, as the other benchmarks run it), then an agent per member (in this
// process, each with its own member's kubeconfig, gossip on loopback), never
// both at once. Per FeatureConfig applied (inform mode, podpreset):
//   host mode:  kubectl apply on the host → status on the host counts every member reported;
//   agents:     kubectl apply on member-2 → the FeatureConfig on every member (propagation),
//               and → status on member-2 counts every member reported (the host-mode figure's twin).
// Prints figures; asserts nothing.
//
//   node dist/benchmarks/decentralized-vs-host.js [--federation NAME] [--repeats 10]
// Without --federation it starts (and stops) a 3-member federation without real nodes.
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, type FeatureConfig } from '../api/featureconfig.js';
import { createLogger } from '../controller/logger.js';
import { createFleetCA, issueAgentCert } from '../decentralized/agent-cert.js';
import { Agent } from '../decentralized/agent.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { sleep } from '../kube-client/wait.js';
import { freePort } from '../local-federation/free-port.js';
import { controllerHttpGet, controllerKubeconfig, installHostManifests, spawnController } from '../local-federation/host-install.js';
import { down, up } from '../local-federation/launcher.js';
import { instanceDir, readState, type FederationState } from '../local-federation/state.js';

const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const REPEATS = Number(arg('repeats', '10'));
const fcPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const fmt = (xs: number[]) => (xs.length ? `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms (n=${xs.length})` : 'none');
const fc = (name: string): KubeObject => ({ apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', metadata: { name }, spec: { podpreset: true, mode: 'inform' } } as KubeObject);

async function until(fn: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (await fn().catch(() => false)) return performance.now() - t0;
    await sleep(20);
  }
  return undefined;
}

const reportedAll = (c: KubeClient, name: string, n: number) => async () => {
  const f = await c.getOptional<FeatureConfig>(fcPath(name));
  return f?.status?.members?.reported === n && f.status.observedGeneration === f.metadata.generation;
};

async function hostMode(state: FederationState, members: string[]): Promise<number[]> {
  const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
  installHostManifests(state);
  const port = await freePort();
  const child = spawnController(await controllerKubeconfig(state, host), port, 'bench-dec', path.join(state.dir, 'logs', 'bench-dec-controller.log'), ['--health-period-seconds', '10']);
  const out: number[] = [];
  try {
    await until(async () => (await controllerHttpGet(port, '/metrics')).body.includes('fedfeat_leader 1'), 90_000);
    await sleep(3000); // members registered and health-probed
    for (let i = 0; i < REPEATS; i++) {
      const name = `bench-host-${i}`;
      const t0 = performance.now();
      await host.apply(fcPath(name), fc(name), 'bench');
      const ms = await until(async () => (await reportedAll(host, name, members.length)()), 60_000);
      if (ms !== undefined) out.push(performance.now() - t0);
      await host.delete(fcPath(name));
      await until(async () => !(await host.getOptional(fcPath(name))), 60_000); // finalized by the controller
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    host.close();
  }
  return out;
}

async function agentMode(state: FederationState, members: string[]): Promise<{ present: number[]; reported: number[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-dec-'));
  const ca = await createFleetCA('bench');
  const clients = new Map<string, KubeClient>();
  const agents: Agent[] = [];
  const present: number[] = [];
  const reported: number[] = [];
  try {
    const ports = new Map<string, number>();
    for (const m of members) ports.set(m, await freePort());
    for (const m of members) {
      const kubeconfig = state.clusters.find((c) => c.name === m)!.kubeconfig;
      clients.set(m, await KubeClient.fromKubeConfig(kubeconfig));
      // The agents' defaults (fanout 3, 250 ms rounds, 30 s resync).
      const agent = new Agent({
        member: m, kubeconfig, credentials: await issueAgentCert(ca, m, { ipAddresses: ['127.0.0.1'] }), listen: { host: '127.0.0.1', port: ports.get(m)! },
        seeds: members.filter((x) => x !== m).map((x) => ({ member: x, host: '127.0.0.1', port: ports.get(x)! })), stateDir: path.join(dir, m),
        labels: { name: m }, firstSyncTimeoutMs: 3000, log: createLogger('error'),
      });
      agents.push(agent);
    }
    await Promise.all(agents.map((a) => a.start()));
    await sleep(3000);
    const origin = clients.get(members[1] ?? members[0]!)!;
    for (let i = 0; i < REPEATS; i++) {
      const name = `bench-agents-${i}`;
      const t0 = performance.now();
      await origin.apply(fcPath(name), fc(name), 'bench');
      const p = await until(async () => (await Promise.all([...clients.values()].map((c) => c.getOptional(fcPath(name))))).every(Boolean), 60_000);
      if (p !== undefined) present.push(performance.now() - t0);
      const r = await until(reportedAll(origin, name, members.length), 60_000);
      if (r !== undefined) reported.push(performance.now() - t0);
      await origin.delete(fcPath(name));
      await until(async () => (await Promise.all([...clients.values()].map((c) => c.getOptional(fcPath(name))))).every((x) => !x), 60_000);
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    for (const c of clients.values()) c.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { present, reported };
}

const given = arg('federation');
const state = given ? readState(instanceDir(given)) : await up({ instance: 'bench-dec', members: 3, nodesPerMember: 5, realNode: 'off', quiet: true });
if (!state || state.phase !== 'running') throw new Error(`federation ${given} is not running`);
const members = state.clusters.filter((c) => c.role === 'member').map((c) => c.name);
try {
  const host = await hostMode(state, members);
  const agents = await agentMode(state, members);
  console.log(`${members.length} members, ${REPEATS} FeatureConfigs each way (inform, podpreset):`);
  console.log(`  host mode: apply on the host → every member reported on the host: ${fmt(host)}`);
  console.log(`  agents:    apply on ${members[1]} → present on every member: ${fmt(agents.present)}`);
  console.log(`  agents:    apply on ${members[1]} → every member reported on ${members[1]}: ${fmt(agents.reported)}`);
} finally {
  if (!given) await down('bench-dec', { purge: true, quiet: true });
}
process.exit(0);
