// Issue 16's fault scenario, end to end on real processes: 5 members (real
// kube-apiserver + etcd each, KWOK nodes), an agent per member run as its own
// `fedfeat agent` process (the CLI users run, certificates from `fedfeat agent
// certificate`), and the host's API server frozen (SIGSTOP) for the whole run:
// no host, no central controller.
//
//   1. 10 FeatureConfigs applied on member-2 → present on every member, and
//      every member's report counted in member-2's status
//   2. member-4's agent stopped; an edit on member-5 and a delete on member-1;
//      the agent started again → member-4 catches up
//   3. a partition by iptables (members 1-2 | members 3-5: each agent listens
//      on its own loopback address, 127.0.1.x or 127.0.2.x, and its links leave
//      from it), concurrent changes on both sides (different fields, one field
//      on both, a new FeatureConfig) → healed: identical specs everywhere and
//      every member's tactics ran for the merged spec
//   4. an agent certificate from another CA is refused; a member with a valid
//      certificate forging another member's report is refused
// and each agent process's memory. Writes results.json and prints a summary.
//
//   node dist/evaluation/decentralized-faults.js [--federation NAME] [--out DIR]
// Without --federation it starts (and stops) a 5-member federation without
// real nodes. Needs root (iptables).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as A from '@automerge/automerge';
import { listClusterFeatureStatuses } from '../api/cluster-feature-status.js';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, desiredFeatures, type FeatureConfig, type FeatureConfigSpec } from '../api/featureconfig.js';
import { createFleetCA, issueAgentCert, type AgentCredentials } from '../decentralized/agent-cert.js';
import { applySpec, statusKey } from '../decentralized/fleet-doc.js';
import { seal } from '../decentralized/fleet-signing.js';
import { GossipNode } from '../decentralized/gossip.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { sleep, waitFor } from '../kube-client/wait.js';
import { freePort } from '../local-federation/free-port.js';
import { down, up } from '../local-federation/launcher.js';
import { repoRoot } from '../local-federation/repo-root.js';
import { instanceDir, readState } from '../local-federation/state.js';

const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const fcPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name);
const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]! : NaN);
const SIDE_A = new Set(['member-1', 'member-2']);
const ipOf = (m: string, i: number) => (SIDE_A.has(m) ? `127.0.1.${i + 1}` : `127.0.2.${i + 1}`);
const CHAIN = `FF-EVAL-${process.pid}`;

/** waitFor (kube-client/wait.ts), polling every 50 ms, and how long it took. */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, describe?: () => string): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await waitFor(what, fn, { timeoutMs, intervalMs: 50, ...(describe ? { describe } : {}) });
  return { value, ms: performance.now() - t0 };
}

function firewall(on: boolean): void {
  const ipt = (...a: string[]) => execFileSync('iptables', ['-w', ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (!on) {
    try { ipt('-D', 'OUTPUT', '-j', CHAIN); } catch { /* not there */ }
    try { ipt('-F', CHAIN); ipt('-X', CHAIN); } catch { /* not there */ }
    return;
  }
  ipt('-N', CHAIN);
  ipt('-A', CHAIN, '-s', '127.0.1.0/24', '-d', '127.0.2.0/24', '-j', 'DROP');
  ipt('-A', CHAIN, '-s', '127.0.2.0/24', '-d', '127.0.1.0/24', '-j', 'DROP');
  ipt('-I', 'OUTPUT', '-j', CHAIN);
}

interface AgentProc {
  member: string;
  host: string;
  port: number;
  tlsDir: string;
  logFile: string;
  child?: ChildProcess;
}

const given = arg('federation');
if (process.getuid?.() !== 0) throw new Error('run as root: the partition is made with iptables');
const state = given ? readState(instanceDir(given)) : await up({ instance: 'eval-faults', members: 5, nodesPerMember: 2, realNode: 'off', quiet: true });
if (!state || state.phase !== 'running') throw new Error(`federation ${given} is not running`);
const members = state.clusters.filter((c) => c.role === 'member').map((c) => c.name).slice(0, 5);
if (members.length < 5) throw new Error(`the scenario needs 5 members; ${given} has ${members.length}`);
const hostApi = state.processes.find((p) => p.name === 'host/kube-apiserver');
const work = mkdtempSync(path.join(tmpdir(), 'eval-faults-'));
const outDir = arg('out', path.join(repoRoot, 'evaluation', 'results', `${new Date().toISOString().slice(0, 10)}-decentralized-faults`))!;
const clients = new Map<string, KubeClient>();
for (const m of members) clients.set(m, await KubeClient.fromKubeConfig(state.clusters.find((c) => c.name === m)!.kubeconfig));
const fedfeat = path.join(repoRoot, 'bin', 'fedfeat.js');
const results: Record<string, unknown> = { federation: state.instance, members, startedAt: new Date().toISOString(), loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') };
const agents = new Map<string, AgentProc>();
let intruders: GossipNode[] = [];

const spec = async (m: string, name: string) => (await clients.get(m)!.getOptional<FeatureConfig>(fcPath(name)))?.spec;
const applyOn = (m: string, name: string, s: FeatureConfigSpec) =>
  clients.get(m)!.apply(fcPath(name), { apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', metadata: { name }, spec: s } as KubeObject, 'kubectl');

function startAgent(a: AgentProc): void {
  const peers = ['member-1', 'member-3'].filter((p) => p !== a.member).map((p) => `${p}=${agents.get(p)!.host}:${agents.get(p)!.port}`).join(',');
  const fd = openSync(a.logFile, 'a');
  a.child = spawn(process.execPath, [fedfeat, 'agent', '--member', a.member, '--tls-dir', a.tlsDir, '--kubeconfig', state!.clusters.find((c) => c.name === a.member)!.kubeconfig,
    '--listen', `${a.host}:${a.port}`, '--peers', peers, '--state-dir', path.join(work, `state-${a.member}`), '--labels', `name=${a.member}`], { stdio: ['ignore', fd, fd] });
}

async function stopAgent(a: AgentProc): Promise<void> {
  const c = a.child;
  if (!c || c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000).then(() => c.kill('SIGKILL'))]);
  await exited;
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const grepLogs = (needle: string) => [...agents.values()].reduce((n, a) => n + (existsSync(a.logFile) ? readFileSync(a.logFile, 'utf8').split('\n').filter((l) => l.includes(needle)).length : 0), 0);

try {
  // No host: its API server frozen for the whole run (SIGCONT at the end).
  if (hostApi) process.kill(hostApi.pid, 'SIGSTOP');
  const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
  const hostAnswers = await Promise.race([host.list(fcPath()).then(() => true, () => false), sleep(3000).then(() => false)]);
  host.close();
  results.hostApiServerAnswering = hostAnswers;

  // Certificates the way an operator issues them, one agent process per member.
  const caDir = path.join(work, 'fleet-ca');
  for (const [i, m] of members.entries()) {
    const a: AgentProc = { member: m, host: ipOf(m, i), port: await freePort(), tlsDir: path.join(work, `tls-${m}`), logFile: path.join(work, `agent-${m}.log`) };
    execFileSync(process.execPath, [fedfeat, 'agent', 'certificate', '--member', m, '--ca-dir', caDir, '--out', a.tlsDir, '--ip-addresses', a.host]);
    agents.set(m, a);
  }
  for (const a of agents.values()) startAgent(a);
  // Started: CRDs applied, first exchange with a peer done, the FeatureConfig informer synced (the agent logs it).
  const ready = await until('every agent started', async () =>
    [...agents.values()].every((a) => existsSync(a.logFile) && readFileSync(a.logFile, 'utf8').includes('"message":"agent started"')), 90_000);
  results.agentsStartedMs = Math.round(ready.ms);
  await sleep(3000); // first exchanges, addresses learnt

  // 1. Apply on member-2 → present on all; every member's report counted on member-2.
  const present: number[] = [];
  const reported: number[] = [];
  const appliedAt: number[] = [];
  for (let i = 0; i < 10; i++) {
    const name = `faults-${i}`;
    const s = performance.now();
    appliedAt.push(Date.now());
    await applyOn('member-2', name, { podpreset: true, mode: 'inform' });
    await until(`${name} on every member`, async () => (await Promise.all(members.map((m) => spec(m, name)))).every(Boolean), 30_000);
    present.push(performance.now() - s);
    await until(`${name}: five reports counted on member-2`, async () => {
      const fc = await clients.get('member-2')!.getOptional<FeatureConfig>(fcPath(name));
      return (fc?.status?.members?.reported ?? 0) >= 5;
    }, 60_000);
    reported.push(performance.now() - s);
  }
  results.converge = { liveMembersConverged: `${members.length}/${members.length}`, presentP50Ms: Math.round(pct(present, 50)), presentP99Ms: Math.round(pct(present, 99)), reportedP50Ms: Math.round(pct(reported, 50)), reportedP99Ms: Math.round(pct(reported, 99)), samples: present.length };

  // 2. Stop member-4's agent; an edit on member-5, a delete on member-1; restart → catch up.
  const m4 = agents.get('member-4')!;
  await stopAgent(m4);
  await applyOn('member-5', 'faults-0', { podpreset: true, mode: 'inform', kubelet: { containerLogMaxFiles: 5 } });
  await clients.get('member-1')!.delete(fcPath('faults-1'));
  const others = members.filter((m) => m !== 'member-4');
  await until('edit and delete on the live members', async () => {
    const specs = await Promise.all(others.map((m) => spec(m, 'faults-0')));
    const gone = await Promise.all(others.map((m) => spec(m, 'faults-1')));
    return specs.every((s) => s?.kubelet?.containerLogMaxFiles === 5) && gone.every((s) => s === undefined);
  }, 30_000);
  const staleWhileDown = (await spec('member-4', 'faults-0'))?.kubelet === undefined && (await spec('member-4', 'faults-1')) !== undefined;
  const restart = performance.now();
  startAgent(m4);
  await until('member-4 caught up', async () => (await spec('member-4', 'faults-0'))?.kubelet?.containerLogMaxFiles === 5 && (await spec('member-4', 'faults-1')) === undefined, 60_000);
  results.catchUp = { staleWhileDown, caughtUpAfterRestartMs: Math.round(performance.now() - restart) };

  // 3. Partition: members 1-2 | members 3-5, changes on both sides, heal.
  firewall(true);
  await sleep(5000); // links across silent for longer than the agents' 3 s link timeout
  await applyOn('member-1', 'faults-0', { podpreset: true, mode: 'inform', kubelet: { containerLogMaxFiles: 7 } });
  await applyOn('member-3', 'faults-0', { podpreset: true, mode: 'inform', kubelet: { containerLogMaxFiles: 9 }, cpumanagementpolicy: 'static' });
  await applyOn('member-4', 'faults-side-b', { networkpolicy: true, mode: 'inform' });
  await until('each side has its own edit', async () =>
    (await spec('member-2', 'faults-0'))?.kubelet?.containerLogMaxFiles === 7 && (await spec('member-5', 'faults-0'))?.cpumanagementpolicy === 'static', 30_000);
  await sleep(2000);
  const leaked = (await spec('member-2', 'faults-0'))?.cpumanagementpolicy !== undefined || (await spec('member-2', 'faults-side-b')) !== undefined;
  const heal = performance.now();
  firewall(false);
  const merged = await until('identical specs on every member after healing', async () => {
    const specs = await Promise.all(members.map((m) => spec(m, 'faults-0')));
    const sides = await Promise.all(members.map((m) => spec(m, 'faults-side-b')));
    const same = specs.every((s) => JSON.stringify(s) === JSON.stringify(specs[0]));
    return same && specs[0]?.cpumanagementpolicy === 'static' && sides.every(Boolean) ? specs[0] : undefined;
  }, 60_000);
  // Tactics ran for the merged spec: on every member, the FeatureConfig's status counts five reports made for the
  // merged fleet generation (decentralized/fleet-status.ts: a report for an older generation is not counted).
  let seen = '';
  const tactics = await until('every member counts five reports for the merged spec', async () => {
    const fcs = await Promise.all(members.map((m) => clients.get(m)!.getOptional<FeatureConfig>(fcPath('faults-0'))));
    seen = fcs.map((f, i) => `${members[i]}: ${f?.status?.conditions?.find((c) => c.type === 'Reported')?.message ?? 'no Reported condition'}`).join('\n');
    const done = fcs.every((f) => f?.status?.members?.reported === 5 && f.status.conditions?.some((c) => c.type === 'Reported' && c.status === 'True' && c.observedGeneration === f.metadata.generation));
    return done ? fcs.length : undefined;
  }, 90_000, () => seen);
  results.partition = {
    by: 'iptables (127.0.1.0/24 ⟷ 127.0.2.0/24 dropped)', sides: [['member-1', 'member-2'], ['member-3', 'member-4', 'member-5']], leakedDuringPartition: leaked,
    healedIdenticalMs: Math.round(merged.ms), mergedSpec: merged.value, sameFieldWinner: merged.value.kubelet?.containerLogMaxFiles,
    tacticsRanForMergedSpecMs: Math.round(performance.now() - heal), membersCountingFiveMergedReports: tactics.value, featuresAsked: desiredFeatures(merged.value).map((f) => f.name),
  };

  // 4. Refusals: another CA's certificate; a valid member forging another member's report.
  const other = await createFleetCA('intruder');
  const seeds = [...agents.values()].map((a) => ({ member: a.member, host: a.host, port: a.port }));
  const stranger = new GossipNode({ member: 'member-6', credentials: await issueAgentCert(other, 'member-6', { ipAddresses: ['127.0.0.1'] }), listen: { host: '127.0.0.1', port: 0 }, seeds, roundMs: 100, fanout: 5 });
  await stranger.start();
  intruders.push(stranger);
  stranger.update((d) => applySpec(d, 'member-6', 'faults-intruder', { podpreset: true }));
  const m5tls = agents.get('member-5')!.tlsDir;
  const read = (f: string) => readFileSync(path.join(m5tls, f), 'utf8');
  const m5creds: AgentCredentials = { ca: read('ca.crt'), cert: read('tls.crt'), key: read('tls.key') };
  const forger = new GossipNode({ member: 'member-5', credentials: m5creds, listen: { host: '127.0.2.9', port: 0 }, localAddress: '127.0.2.9', advertise: false, seeds: seeds.filter((s) => s.member !== 'member-5'), roundMs: 100, fanout: 4 });
  await forger.start();
  intruders.push(forger);
  await until('the forger learnt the document', async () => forger.stats.messagesReceived > 2, 20_000);
  const key = statusKey('member-1', 'faults-0');
  forger.update((d) => A.change(d, (x) => { x[key] = new A.ImmutableString(seal(forger.signer!, key, JSON.stringify({ member: 'member-1', featureconfig: 'faults-0', generation: 1, features: [{ name: 'podpreset', state: 'Failed', message: 'forged' }], updated: new Date().toISOString() }))); }));
  await sleep(5000);
  const forgedSeen = (await Promise.all(members.map(async (m) => {
    const cfs = await listClusterFeatureStatuses(clients.get(m)!, 'faults-0');
    return cfs.some((o) => (o.features ?? []).some((f) => f.message === 'forged'));
  }))).filter(Boolean).length;
  const intruderSeen = (await Promise.all(members.map((m) => spec(m, 'faults-intruder')))).filter(Boolean).length;
  results.refusals = {
    otherCA: { membersHoldingItsChange: intruderSeen, itsLinks: stranger.connectedPeers().length, refusalsLogged: grepLogs('gossip peer refused') },
    forgedReport: { membersShowingIt: forgedSeen, messagesRefused: grepLogs('values it may not write') },
  };
  results.agentRssMiB = Object.fromEntries([...agents.values()].map((a) => [a.member, Math.round(rssMiB(a.child!.pid!))]));
  results.finishedAt = new Date().toISOString();
  // Propagation inside the agents, from their logs: the local change on member-2 → materialized on each other member.
  const logTimes = (m: string, msg: string, fc: string) => readFileSync(agents.get(m)!.logFile, 'utf8').split('\n').filter((l) => l.includes(`"featureconfig":"${fc}"`) && l.includes(`"message":"${msg}"`))
    .map((l) => Date.parse((JSON.parse(l) as { timestamp: string }).timestamp));
  const inside: number[] = [];
  const seenLocally: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = logTimes('member-2', 'local FeatureConfig change', `faults-${i}`)[0];
    if (t !== undefined) seenLocally.push(t - appliedAt[i]!);
    const done = members.filter((m) => m !== 'member-2').map((m) => logTimes(m, 'materialized FeatureConfig', `faults-${i}`)[0]);
    if (t !== undefined && done.every((x) => x !== undefined)) inside.push(Math.max(...(done as number[])) - t);
  }
  Object.assign(results.converge as Record<string, unknown>, {
    presentMs: present.map(Math.round), applyToMember2AgentMs: seenLocally, member2AgentToMaterializedEverywhereMs: inside,
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
} catch (e) {
  // The agents' own words, before their folder goes.
  for (const a of agents.values()) {
    const lines = existsSync(a.logFile) ? readFileSync(a.logFile, 'utf8').trim().split('\n') : [];
    console.error(`--- ${a.member} agent log (last 15 lines) ---\n${lines.slice(-15).join('\n')}`);
  }
  throw e;
} finally {
  for (const n of intruders) await n.stop().catch(() => undefined);
  intruders = [];
  firewall(false);
  await Promise.all([...agents.values()].map((a) => stopAgent(a)));
  for (const m of members) {
    // Leave the members as found: the FeatureConfigs the run made (agents are stopped, so these are local deletes only).
    const c = clients.get(m)!;
    for (const fc of (await c.list<FeatureConfig>(fcPath()).catch(() => ({ items: [] as FeatureConfig[] }))).items) {
      if (fc.metadata.name.startsWith('faults-')) await c.delete(fcPath(fc.metadata.name)).catch(() => undefined);
    }
    c.close();
  }
  if (hostApi) {
    try { process.kill(hostApi.pid, 'SIGCONT'); } catch { /* gone */ }
  }
  if (!given) await down('eval-faults', { purge: true, quiet: true });
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
