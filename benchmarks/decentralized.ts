// Decentralized mode benchmark (issue 16): N agents' gossip layers in this
// one process (real TLS sockets on loopback, the agents' defaults: fanout 3,
// 250 ms rounds), no API servers — what it measures is the replication
// itself: propagation of a change to every agent (p50/p99), convergence
// after a partition heals, bytes sent per change, memory per agent, and the
// saved document's size after 1,000 changes, and after 1,000 and 10,000
// changes among five replicas with and without history truncation (epochs.ts,
// a low threshold; --sizes-only stops there). The API-server side (watch →
// document → server-side apply on each member) adds its own latency; the
// integration test prints it on real API servers. Prints figures; asserts nothing.
//
// The partition is made by the network when run as root: each agent has its
// own loopback address (side A 127.0.1.x, side B 127.0.2.x, outbound links
// from that address too) and iptables drops packets between the two
// subnets (a chain of its own, removed at exit); packets are dropped, not
// refused, so links stall as on a real partition and resume on TCP
// retransmission after healing. `--partition filter` uses the agents'
// peer filter instead (links closed at once).
//
//   node dist/benchmarks/decentralized.js [--agents 5,10,25] [--changes 40] [--partition iptables|filter]
//     [--partition-seconds 6] [--fanout 3] [--round-ms 250] [--trace] [--epoch-max-changes 500] [--history-changes 1000,10000] [--sizes-only]
import { execFileSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as A from '@automerge/automerge';
import { createFleetCA, issueAgentCert } from '../decentralized/agent-cert.js';
import { saveFleetDoc } from '../decentralized/compaction.js';
import { advertise, applySpec, deleteConfig, newFleetDoc, specKey, statusKey, writeStatus, type FleetDoc } from '../decentralized/fleet-doc.js';
import { acknowledge, compactTo, epochOf, onPeerEpoch, overThreshold, propose, readiness } from '../decentralized/epochs.js';
import { PeerSync } from '../decentralized/peer-sync.js';
import { GossipNode } from '../decentralized/gossip.js';
import { agentSigner, type Signer } from '../decentralized/fleet-signing.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('agents', '5,10,25').split(',').map(Number);
const CHANGES = Number(arg('changes', '40'));
const FANOUT = Number(arg('fanout', '3'));
const ROUND_MS = Number(arg('round-ms', '250'));
// Longer than an agent's link timeout (3 s), so links across are found dead and dials fail, as in a real partition.
const PARTITION_MS = Number(arg('partition-seconds', '6')) * 1000;
const TRACE = process.argv.includes('--trace');
const PARTITION = arg('partition', process.getuid?.() === 0 ? 'iptables' : 'filter');
if (PARTITION !== 'iptables' && PARTITION !== 'filter') throw new Error('--partition must be iptables or filter');

// The benchmark's own chain, jumped to from OUTPUT for loopback only; removed at exit.
const CHAIN = `FF-BENCH-${process.pid}`;
const ipt = (...a: string[]) => execFileSync('iptables', ['-w', ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
function firewall(on: boolean): void {
  if (on) {
    ipt('-A', CHAIN, '-s', '127.0.1.0/24', '-d', '127.0.2.0/24', '-j', 'DROP');
    ipt('-A', CHAIN, '-s', '127.0.2.0/24', '-d', '127.0.1.0/24', '-j', 'DROP');
  } else ipt('-F', CHAIN);
}
function removeChain(): void {
  try {
    ipt('-D', 'OUTPUT', '-o', 'lo', '-j', CHAIN);
    ipt('-F', CHAIN);
    ipt('-X', CHAIN);
  } catch {
    // Already gone.
  }
}
if (PARTITION === 'iptables') {
  ipt('-N', CHAIN);
  ipt('-I', 'OUTPUT', '-o', 'lo', '-j', CHAIN);
  process.on('exit', removeChain);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(1));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const mib = (b: number) => (b / 1048576).toFixed(1);

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(2);
  }
  return true;
}

// --trace: time spent in the sync protocol (Automerge), to tell its CPU from the rest (TLS, timers).
const syncCost = { out: 0, outCalls: 0, outMsgs: 0, outMsgMs: 0, in: 0, inCalls: 0 };
if (TRACE) {
  const { outgoing, incoming } = PeerSync.prototype;
  PeerSync.prototype.outgoing = function (doc) {
    const t = performance.now();
    const m = outgoing.call(this, doc);
    const took = performance.now() - t;
    syncCost.out += took;
    syncCost.outCalls++;
    if (m) {
      syncCost.outMsgs++;
      syncCost.outMsgMs += took;
    }
    return m;
  };
  PeerSync.prototype.incoming = function (doc, message) {
    const t = performance.now();
    try {
      return incoming.call(this, doc, message);
    } finally {
      syncCost.in += performance.now() - t;
      syncCost.inCalls++;
    }
  };
}

async function run(n: number): Promise<void> {
  const ca = await createFleetCA('bench');
  const names = Array.from({ length: n }, (_, i) => `member-${i + 1}`);
  let split: Set<string> | undefined;
  const rssBefore = process.memoryUsage().rss;
  const nodes: GossipNode[] = [];
  const half = Math.floor(n / 2);
  // Side A (the first half) on 127.0.1.x, side B on 127.0.2.x: one iptables rule per direction splits them.
  const ipOf = (i: number) => `127.0.${i < half ? 1 : 2}.${i + 1}`;
  for (const [i, member] of names.entries()) {
    const credentials = await issueAgentCert(ca, member, { ipAddresses: [ipOf(i)] });
    const node = new GossipNode({
      member, credentials, listen: { host: ipOf(i), port: 0 }, localAddress: ipOf(i), fanout: FANOUT, roundMs: ROUND_MS,
      seeds: nodes.length ? [{ member: 'member-1', host: ipOf(0), port: nodes[0]!.port }] : [],
      allowPeer: (peer) => PARTITION === 'iptables' || !split || split.has(member) === split.has(peer),
    });
    await node.start();
    nodes.push(node);
  }
  const addressesKnown = await until(() => nodes.every((x) => Object.keys(x.doc).filter((k) => k.startsWith('pa')).length === n), 30_000);
  await sleep(2000); // links settle
  const bytes = () => nodes.reduce((s, x) => s + x.stats.bytesSent, 0);
  const lat: number[] = [];
  const b0 = bytes();
  let lost = 0;
  for (let i = 0; i < CHANGES; i++) {
    const origin = nodes[Math.floor(Math.random() * n)]!;
    const key = specKey(`fc-${i}`, ['podpreset']);
    const t0 = performance.now();
    origin.update((d) => applySpec(d, names[nodes.indexOf(origin)]!, `fc-${i}`, { podpreset: true, mode: 'inform' }));
    if (await until(() => nodes.every((x) => key in x.doc), 10_000)) lat.push(performance.now() - t0);
    else lost++;
    await sleep(50);
  }
  const idleCpu0 = process.cpuUsage();
  const idleT0 = performance.now();
  await sleep(TRACE ? 2000 : 500);
  const idleCpu = process.cpuUsage(idleCpu0);
  const idlePerSec = ((idleCpu.user + idleCpu.system) / 1000 / (performance.now() - idleT0)) * 1000;
  const perChange = (bytes() - b0) / CHANGES;
  // Signed values: status reports, checked by every agent on the way in (fleet-signing.ts).
  const signedLat: number[] = [];
  const checked0 = nodes.reduce((s, x) => s + x.stats.checked, 0);
  const checkMs0 = nodes.reduce((s, x) => s + x.stats.checkMs, 0);
  for (let i = 0; i < 10; i++) {
    const k = Math.floor(Math.random() * n);
    const origin = nodes[k]!;
    const report = { member: names[k]!, featureconfig: `fc-${i}`, generation: 1, features: [{ name: 'podpreset', state: 'Supported', message: `report ${i}` }], updated: new Date().toISOString() };
    const key = statusKey(names[k]!, `fc-${i}`);
    const t0 = performance.now();
    origin.update((d) => writeStatus(d, report, origin.signer!));
    if (await until(() => nodes.every((x) => key in x.doc), 10_000)) signedLat.push(performance.now() - t0);
    else lost++;
    await sleep(50);
  }
  const checked = nodes.reduce((s, x) => s + x.stats.checked, 0) - checked0;
  const checkMs = nodes.reduce((s, x) => s + x.stats.checkMs, 0) - checkMs0;
  // Partition: half and half, changes on both sides, then heal.
  split = new Set(names.slice(0, half));
  const partitionStart = Date.now();
  if (PARTITION === 'iptables') {
    firewall(true);
    await sleep(500);
  } else {
    await until(() => nodes.every((x, i) => x.connectedPeers().every((p) => split!.has(p) === split!.has(names[i]!))), 10_000);
  }
  for (let i = 0; i < 10; i++) {
    const a = nodes[i % split.size]!;
    const b = nodes[split.size + (i % (n - split.size))]!;
    a.update((d) => applySpec(d, names[nodes.indexOf(a)]!, 'shared', { podpreset: true, kubelet: { containerLogMaxFiles: i + 1 } }));
    b.update((d) => applySpec(d, names[nodes.indexOf(b)]!, `side-b-${i}`, { networkpolicy: true }));
  }
  await sleep(Math.max(1000, PARTITION_MS - (Date.now() - partitionStart)));
  // Nothing crossed: side B has none of side A's edits.
  const crossed = nodes.slice(half).some((x) => Object.keys(x.doc).some((k) => k.startsWith(specKey('shared', ['kubelet']))));
  const partitionedFor = Date.now() - partitionStart;
  const sideOf = (m: string) => (names.indexOf(m) < half ? 'A' : 'B');
  // Every change either side made: what each agent must end up holding.
  const target = JSON.stringify(A.getHeads(nodes.reduce((d, x) => A.merge(d, x.doc), A.clone(nodes[0]!.doc))).sort());
  const lag = monitorEventLoopDelay({ resolution: 10 });
  const trace: string[] = [];
  const crossOpens: Array<{ at: number; from: string; to: string }> = [];
  const got = new Map<string, number>();
  const laggards: string[] = [];
  let lastLaggards = -1000;
  const listeners: Array<() => void> = [];
  const snap = (x: GossipNode, i: number) => {
      const me = names[i]!;
      const links = x.linkInfo().map((l) => `${l.outbound ? '>' : '<'}${l.member.slice(7)}${sideOf(l.member) === sideOf(me) ? '' : '*'}(${l.openedMsAgo}/${l.heardMsAgo})`);
      const d = x.dialInfo();
      const cross = (m: string) => sideOf(m) !== sideOf(me);
      return `${me.slice(7)}${sideOf(me)} links[${links.join(' ')}] dialing[${d.dialing.map((m) => m.slice(7) + (cross(m) ? '*' : '')).join(' ')}] backoff[${d.backoff.filter((b) => cross(b.member)).map((b) => `${b.member.slice(7)}:${b.inMs}/${b.delayMs}`).join(' ')}]`;
  };
  if (TRACE) {
    trace.push(...nodes.map(snap));
    nodes.forEach((x, i) => {
      const f = (peer: string, e: 'open' | 'close') => {
        if (e === 'open' && sideOf(peer) !== sideOf(names[i]!)) crossOpens.push({ at: performance.now(), from: names[i]!, to: peer });
      };
      x.on('link', f);
      listeners.push(() => x.off('link', f));
    });
    lag.enable();
  }
  const msgs = () => nodes.reduce((s, x) => s + x.stats.messagesSent, 0);
  const m0 = msgs();
  const hb0 = bytes();
  const sync0 = { ...syncCost };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  split = undefined;
  if (PARTITION === 'iptables') firewall(false);
  const tRules = performance.now();
  const heads = (x: GossipNode) => JSON.stringify(A.getHeads(x.doc).sort());
  const healed = await until(() => {
    if (TRACE) {
      nodes.forEach((x, i) => !got.has(names[i]!) && heads(x) === target && got.set(names[i]!, performance.now() - t0));
      // The last few agents without the merged state: their links and dials every 250 ms.
      const now = performance.now() - t0;
      if (got.size >= n - 3 && got.size < n && now - lastLaggards >= 250) {
        lastLaggards = now;
        laggards.push(`@${now.toFixed(0)}: ` + nodes.flatMap((x, i) => (got.has(names[i]!) ? [] : [snap(x, i)])).join(' | '));
      }
    }
    return nodes.every((x) => heads(x) === heads(nodes[0]!));
  }, 30_000);
  const heal = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (TRACE) {
    lag.disable();
    listeners.forEach((f) => f());
    const order = [...got].sort((a, b) => a[1] - b[1]);
    console.log(`  idle (no changes, links rotating): process CPU ${idlePerSec.toFixed(0)} ms per s`);
    console.log(`  heal trace: rules removed in ${(tRules - t0).toFixed(0)} ms; event-loop delay during heal p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ms p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms max ${(lag.max / 1e6).toFixed(0)} ms; process CPU during heal ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; sync messages ${msgs() - m0}, ${bytes() - hb0} B; in the sync protocol: ${syncCost.outCalls - sync0.outCalls} outgoing() calls (${syncCost.outMsgs - sync0.outMsgs} with a message) ${(syncCost.out - sync0.out).toFixed(0)} ms (${(syncCost.outMsgMs - sync0.outMsgMs).toFixed(0)} ms those with a message), ${syncCost.inCalls - sync0.inCalls} incoming() ${(syncCost.in - sync0.in).toFixed(0)} ms`);
    console.log(`  cross links opened (ms after t0): ${crossOpens.map((c) => `${(c.at - t0).toFixed(0)}:${c.from.slice(7)}>${c.to.slice(7)}`).join(' ')}`);
    console.log(`  agents holding the merged state (ms): ${order.map(([m, t]) => `${m.slice(7)}${sideOf(m)}@${t.toFixed(0)}`).join(' ')}`);
    if (laggards.length) console.log(`  last agents without it:\n    ${laggards.join('\n    ')}`);
    console.log(`  state at heal:\n    ${trace.join('\n    ')}`);
  }
  const rss = process.memoryUsage().rss;
  const docBytes = saveFleetDoc(nodes[0]!.doc).length;
  console.log(
    `${n} agents (fanout ${FANOUT}, ${ROUND_MS} ms rounds): addresses known ${addressesKnown ? 'yes' : 'NO'}; propagation to all p50 ${pct(lat, 50).toFixed(0)} ms p99 ${pct(lat, 99).toFixed(0)} ms` +
      ` (${lat.length} changes${lost ? `, ${lost} NOT everywhere within 10 s` : ''}); bytes sent per change, all agents ${Math.round(perChange)} (${Math.round(perChange / n)} per agent);` +
      ` signed reports to all p50 ${pct(signedLat, 50).toFixed(0)} ms p99 ${pct(signedLat, 99).toFixed(0)} ms, signature check ${(checkMs / Math.max(1, checked)).toFixed(2)} ms per message with changes;` +
      ` partition (${PARTITION}, ${(partitionedFor / 1000).toFixed(0)} s${crossed ? ', LEAKED' : ''}) healed → identical documents in ${healed ? `${heal.toFixed(0)} ms` : 'NOT within 30 s'}; RSS growth ${mib(rss - rssBefore)} MiB (${((rss - rssBefore) / n / 1048576).toFixed(2)} MiB per agent, one process); saved document ${docBytes} B`,
  );
  await Promise.all(nodes.map((x) => x.stop()));
}

/** The five members' agent signers (their reports and addresses are signed, fleet-signing.ts). */
const sizeSigners = new Map<string, Signer>();
{
  const ca = await createFleetCA('bench-size');
  for (let m = 1; m <= 5; m++) sizeSigners.set(`member-${m}`, agentSigner(await issueAgentCert(ca, `member-${m}`)));
}

/** One workload change by `member` (20 FeatureConfigs: field edits, status reports, deletes); the same document if it changed nothing. */
function workload(d: A.Doc<FleetDoc>, i: number, member: string): A.Doc<FleetDoc> {
  const name = `fc-${i % 20}`;
  if (i % 10 === 9) return deleteConfig(d, member, name);
  if (i % 3 === 0) return writeStatus(d, { member, featureconfig: name, generation: i, features: [{ name: 'podpreset', state: i % 2 ? 'Supported' : 'Missing', message: `probe ${i}` }], updated: new Date().toISOString() }, sizeSigners.get(member)!);
  return applySpec(d, member, name, { podpreset: true, mode: 'inform', kubelet: { cpuManagerPolicy: 'static', containerLogMaxFiles: (i % 7) + 1 } });
}

function docSize(): void {
  // 1,000 changes as a fleet makes them, in one document (status reports signed).
  let d = newFleetDoc();
  let changes = 0;
  for (let i = 0; changes < 1000; i++) {
    const before = A.getHeads(d);
    d = workload(d, i, `member-${(i % 5) + 1}`);
    if (JSON.stringify(A.getHeads(d)) !== JSON.stringify(before)) changes++;
  }
  const saved = saveFleetDoc(d);
  const state = JSON.stringify(d).length;
  console.log(`document after ${changes} changes: saved ${saved.length} B (${(saved.length / changes).toFixed(1)} B per change, whole history); current state as JSON ${state} B`);
}

/**
 * Five replicas making the workload's changes in turn and exchanging sync messages (in a ring, every
 * 25 changes), as gossip.ts does it: epoch handshake first, proposals, acks and cuts when `maxChanges`
 * is given (grace 0), none otherwise. Returns member-1's saved size and history after `total` changes.
 */
function fleetHistory(total: number, maxChanges?: number): { saved: number; history: number; epoch: number; state: number } {
  const members = [1, 2, 3, 4, 5].map((i) => `member-${i}`);
  let docs = members.map((m, i) => advertise(newFleetDoc(`0${i + 1}`.repeat(8)), m, `10.0.0.${i + 1}:7946`, sizeSigners.get(m)!));
  const links = new Map<string, PeerSync>();
  const link = (a: number, b: number) => {
    const key = `${a}>${b}@${epochOf(docs[a]!).n}`;
    if (!links.has(key)) links.set(key, new PeerSync());
    return links.get(key)!;
  };
  const meet = (x: number, y: number) => {
    const act = onPeerEpoch(docs[x]!, members[x]!, epochOf(docs[y]!));
    if (act.action === 'compact') docs[x] = compactTo(docs[x]!, act.to);
    else if (act.action === 'refuse' || act.action === 'adopt') throw new Error(`${members[x]}: ${act.action}`);
  };
  const sync = (a: number, b: number) => {
    meet(a, b);
    meet(b, a);
    for (let i = 0; i < 20; i++) {
      const m1 = link(a, b).outgoing(docs[a]!);
      if (m1) docs[b] = link(b, a).incoming(docs[b]!, m1);
      const m2 = link(b, a).outgoing(docs[b]!);
      if (m2) docs[a] = link(a, b).incoming(docs[a]!, m2);
      if (!m1 && !m2) return;
    }
  };
  let changes = 0;
  for (let i = 0; changes < total; i++) {
    const x = i % 5;
    const before = docs[x]!;
    docs[x] = workload(docs[x]!, i, members[x]!);
    if (docs[x] !== before) changes++;
    if (i % 25 !== 24) continue;
    for (let a = 0; a < 5; a++) sync(a, (a + 1) % 5); // a ring: each change reaches everyone within a few rounds
    if (maxChanges === undefined) continue;
    docs = docs.map((d, k) => {
      if (overThreshold(d, 0, { maxChanges, maxBytes: Infinity })) d = propose(d, sizeSigners.get(members[k]!)!);
      d = acknowledge(d, sizeSigners.get(members[k]!)!);
      const ready = readiness(d).ready;
      return ready ? compactTo(d, ready) : d;
    });
  }
  for (let a = 0; a < 5; a++) for (let b = a + 1; b < 5; b++) sync(a, b);
  return { saved: saveFleetDoc(docs[0]!).length, history: A.stats(docs[0]!).numChanges, epoch: epochOf(docs[0]!).n, state: JSON.stringify(docs[0]!).length };
}

function epochSizes(): void {
  const every = Number(arg('epoch-max-changes', '500'));
  for (const total of arg('history-changes', '1000,10000').split(',').map(Number)) {
    const t0 = Date.now();
    const whole = fleetHistory(total);
    const t1 = Date.now();
    const cut = fleetHistory(total, every);
    console.log(`(simulated in ${((t1 - t0) / 1000).toFixed(1)} s without epochs, ${((Date.now() - t1) / 1000).toFixed(1)} s with)`);
    console.log(
      `5 replicas, ${total} changes: saved ${whole.saved} B (${whole.history} changes of history) without epochs;` +
        ` ${cut.saved} B (${cut.history} changes, epoch ${cut.epoch}) with an epoch every ${every} changes; current state as JSON ${cut.state} B`,
    );
  }
}

docSize();
epochSizes();
if (process.argv.includes('--sizes-only')) process.exit(0);
for (const n of sizes) await run(n);
process.exit(0);
