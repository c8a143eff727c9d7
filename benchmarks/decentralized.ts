// Decentralized mode benchmark (issue 16): N agents' gossip layers in this
// one process (real TLS sockets on loopback, the agents' defaults: fanout 3,
// 250 ms rounds), no API servers — what it measures is the replication
// itself: propagation of a change to every agent (p50/p99), convergence
// after a partition heals, bytes sent per change, memory per agent, and the
// saved document's size after 1,000 changes. The API-server side (watch →
// document → server-side apply on each member) adds its own latency; the
// integration test prints it on real API servers. Prints figures; asserts nothing.
//
//   node dist/benchmarks/decentralized.js [--agents 5,10,25] [--changes 40]
import * as A from '@automerge/automerge';
import { createFleetCA, issueAgentCert } from '../decentralized/agent-cert.js';
import { saveFleetDoc } from '../decentralized/compaction.js';
import { applySpec, deleteConfig, newFleetDoc, specKey, writeStatus } from '../decentralized/fleet-doc.js';
import { GossipNode } from '../decentralized/gossip.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('agents', '5,10,25').split(',').map(Number);
const CHANGES = Number(arg('changes', '40'));
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

async function run(n: number): Promise<void> {
  const ca = await createFleetCA('bench');
  const names = Array.from({ length: n }, (_, i) => `member-${i + 1}`);
  let split: Set<string> | undefined;
  const rssBefore = process.memoryUsage().rss;
  const nodes: GossipNode[] = [];
  for (const member of names) {
    const credentials = await issueAgentCert(ca, member, { ipAddresses: ['127.0.0.1'] });
    const node = new GossipNode({
      member, credentials, listen: { host: '127.0.0.1', port: 0 },
      seeds: nodes.length ? [{ member: 'member-1', host: '127.0.0.1', port: nodes[0]!.port }] : [],
      allowPeer: (peer) => !split || split.has(member) === split.has(peer),
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
  await sleep(500);
  const perChange = (bytes() - b0) / CHANGES;
  // Partition: half and half, changes on both sides, then heal.
  split = new Set(names.slice(0, Math.floor(n / 2)));
  await until(() => nodes.every((x, i) => x.connectedPeers().every((p) => split!.has(p) === split!.has(names[i]!))), 10_000);
  for (let i = 0; i < 10; i++) {
    const a = nodes[i % split.size]!;
    const b = nodes[split.size + (i % (n - split.size))]!;
    a.update((d) => applySpec(d, names[nodes.indexOf(a)]!, 'shared', { podpreset: true, kubelet: { containerLogMaxFiles: i + 1 } }));
    b.update((d) => applySpec(d, names[nodes.indexOf(b)]!, `side-b-${i}`, { networkpolicy: true }));
  }
  await sleep(1000);
  const t0 = performance.now();
  split = undefined;
  const heads = (x: GossipNode) => JSON.stringify(A.getHeads(x.doc).sort());
  const healed = await until(() => nodes.every((x) => heads(x) === heads(nodes[0]!)), 30_000);
  const heal = performance.now() - t0;
  const rss = process.memoryUsage().rss;
  const docBytes = saveFleetDoc(nodes[0]!.doc).length;
  console.log(
    `${n} agents: addresses known ${addressesKnown ? 'yes' : 'NO'}; propagation to all p50 ${pct(lat, 50).toFixed(0)} ms p99 ${pct(lat, 99).toFixed(0)} ms` +
      ` (${lat.length} changes${lost ? `, ${lost} NOT everywhere within 10 s` : ''}); bytes sent per change, all agents ${Math.round(perChange)} (${Math.round(perChange / n)} per agent);` +
      ` partition healed → identical documents in ${healed ? `${heal.toFixed(0)} ms` : 'NOT within 30 s'}; RSS growth ${mib(rss - rssBefore)} MiB (${((rss - rssBefore) / n / 1048576).toFixed(2)} MiB per agent, one process); saved document ${docBytes} B`,
  );
  await Promise.all(nodes.map((x) => x.stop()));
}

function docSize(): void {
  // 1,000 changes as a fleet makes them: 20 FeatureConfigs, field edits, status reports from 5 members, deletes.
  let d = newFleetDoc();
  let changes = 0;
  for (let i = 0; changes < 1000; i++) {
    const name = `fc-${i % 20}`;
    const member = `member-${(i % 5) + 1}`;
    const before = A.getHeads(d);
    if (i % 10 === 9) d = deleteConfig(d, member, name);
    else if (i % 3 === 0) d = writeStatus(d, { member, featureconfig: name, generation: i, features: [{ name: 'podpreset', state: i % 2 ? 'Supported' : 'Missing', message: `probe ${i}` }], updated: new Date().toISOString() });
    else d = applySpec(d, member, name, { podpreset: true, mode: 'inform', kubelet: { cpuManagerPolicy: 'static', containerLogMaxFiles: (i % 7) + 1 } });
    if (JSON.stringify(A.getHeads(d)) !== JSON.stringify(before)) changes++;
  }
  const saved = saveFleetDoc(d);
  const state = JSON.stringify(d).length;
  console.log(`document after ${changes} changes: saved ${saved.length} B (${(saved.length / changes).toFixed(1)} B per change, whole history); current state as JSON ${state} B`);
}

docSize();
for (const n of sizes) await run(n);
process.exit(0);
