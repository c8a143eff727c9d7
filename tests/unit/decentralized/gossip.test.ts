// Gossip over real TLS sockets on loopback.
import { afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import * as A from '@automerge/automerge';
import tls from 'node:tls';
import { createFleetCA, issueAgentCert, type AgentCredentials } from '../../../decentralized/agent-cert.js';
import { applySpec, liveConfigs, revokeMember, type FleetDoc } from '../../../decentralized/fleet-doc.js';
import { GossipNode, type PeerAddress } from '../../../decentralized/gossip.js';
import type { Logger } from '../../../controller/logger.js';
import { issueCert, type Pem } from '../../../pki/x509.js';
import { revokeThroughPeers } from '../../../decentralized/revoke.js';
import { peerAddresses, reports, revokedMembers, statusKey, writeStatus } from '../../../decentralized/fleet-doc.js';
import { agentSigner, caSigner, certificateKey, publishCertificate, seal } from '../../../decentralized/fleet-signing.js';
import { epochOf, readiness } from '../../../decentralized/epochs.js';

let ca: Pem;
let creds: Map<string, AgentCredentials>;
const nodes: GossipNode[] = [];

beforeAll(async () => {
  ca = await createFleetCA('test');
  creds = new Map();
  for (const m of ['member-1', 'member-2', 'member-3', 'member-4']) creds.set(m, await issueAgentCert(ca, m, { ipAddresses: ['127.0.0.1'] }));
});

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function node(member: string, seeds: PeerAddress[], extra: Partial<ConstructorParameters<typeof GossipNode>[0]> = {}): Promise<GossipNode> {
  const n = new GossipNode({ member, credentials: creds.get(member)!, listen: { host: '127.0.0.1', port: 0 }, seeds, roundMs: 50, rotateRounds: 4, fanout: 2, ...extra });
  await n.start();
  nodes.push(n);
  return n;
}

const seed = (n: GossipNode, member: string): PeerAddress => ({ member, host: '127.0.0.1', port: n.port });

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const specOf = (n: GossipNode, name: string) => liveConfigs(n.doc).get(name)?.spec;
const sameHeads = (ns: GossipNode[]) => ns.every((n) => JSON.stringify(A.getHeads(n.doc)) === JSON.stringify(A.getHeads(ns[0]!.doc)));

describe('gossip over mutual TLS', () => {
  test('a change on one agent reaches agents it was never given the address of', async () => {
    const n1 = await node('member-1', []);
    const n2 = await node('member-2', [seed(n1, 'member-1')]);
    const n3 = await node('member-3', [seed(n1, 'member-1')]);
    n2.update((d) => applySpec(d, 'member-2', 'gpu', { podpreset: true }));
    await until('gpu on every agent', () => [n1, n3].every((n) => specOf(n, 'gpu')?.podpreset === true));
    await until('member-2 knows a peer holds its change', () => n2.upToDatePeers().length > 0);
    // Advertised addresses spread too: member-3 eventually links to member-2 directly.
    await until('member-3 links member-2', () => n3.connectedPeers().includes('member-2'));
    expect(n2.stats.bytesSent).toBeGreaterThan(0);
  });

  test('an agent certificate from another CA is refused both ways: it learns nothing and changes nothing', async () => {
    const n1 = await node('member-1', []);
    n1.update((d) => applySpec(d, 'member-1', 'secret', { podpreset: true }));
    const otherCA = await createFleetCA('other');
    const forged = await issueAgentCert(otherCA, 'member-3', { ipAddresses: ['127.0.0.1'] });
    const bad = await node('member-3', [seed(n1, 'member-1')], { credentials: forged });
    bad.update((d) => applySpec(d, 'member-3', 'evil', { networkpolicy: true }));
    // and member-1 dialing the forged agent refuses its server certificate
    const n2 = await node('member-2', [seed(n1, 'member-1'), seed(bad, 'member-3')], { fanout: 3 });
    await until('refusals on both sides', () => n1.stats.refused > 0 && bad.stats.refused > 0 && n2.stats.refused > 0);
    await until('member-2 synced with member-1', () => specOf(n2, 'secret') !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(specOf(bad, 'secret')).toBeUndefined();
    expect(specOf(n1, 'evil')).toBeUndefined();
    expect(specOf(n2, 'evil')).toBeUndefined();
    expect(bad.connectedPeers()).toEqual([]);
  });

  test('a certificate from the fleet CA that is not an agent certificate is refused', async () => {
    const n1 = await node('member-1', []);
    n1.update((d) => applySpec(d, 'member-1', 'secret', { podpreset: true }));
    const plain = await issueCert(ca, { commonName: 'member-4', dnsNames: ['member-4'], ipAddresses: ['127.0.0.1'], usage: 'server-client' });
    const bad = await node('member-4', [seed(n1, 'member-1')], { credentials: { ca: ca.cert, ...plain } });
    await until('refused', () => n1.stats.refused > 1);
    expect(n1.connectedPeers()).toEqual([]);
    expect(specOf(bad, 'secret')).toBeUndefined();
    expect(n1.stats.bytesSent).toBe(0);
  });

  test('a revoked member is disconnected and refused from then on', async () => {
    const n1 = await node('member-1', []);
    const n2 = await node('member-2', [seed(n1, 'member-1')]);
    const n3 = await node('member-3', [seed(n1, 'member-1')]);
    await until('all linked', () => n1.connectedPeers().length === 2);
    n2.update((d) => revokeMember(d, { member: 'member-3', by: 'operator', at: new Date().toISOString() }, caSigner(ca)));
    await until('member-1 drops member-3', () => !n1.connectedPeers().includes('member-3') && !n2.connectedPeers().includes('member-3'));
    n3.update((d) => applySpec(d, 'member-3', 'after-removal', { podpreset: true }));
    await new Promise((r) => setTimeout(r, 500));
    expect(specOf(n1, 'after-removal')).toBeUndefined();
    expect(specOf(n2, 'after-removal')).toBeUndefined();
    // Its retries back off (a peer that closes a link before saying anything refused us): 2 s of 50 ms rounds
    // would be ~40 dials per peer without it; 0.5 + 1 + 2 s of backoff leave at most a few.
    const before = n1.stats.refused + n2.stats.refused;
    await new Promise((r) => setTimeout(r, 2000));
    expect(n1.stats.refused + n2.stats.refused - before).toBeLessThanOrEqual(8);
  });

  test('a stopped agent restarted with its saved document catches up on what it missed', async () => {
    const n1 = await node('member-1', []);
    let n2 = await node('member-2', [seed(n1, 'member-1')]);
    const n3 = await node('member-3', [seed(n1, 'member-1')]);
    n1.update((d) => applySpec(d, 'member-1', 'gpu', { podpreset: true }));
    await until('synced', () => specOf(n2, 'gpu') !== undefined);
    const saved = A.save(n2.doc);
    await n2.stop();
    nodes.splice(nodes.indexOf(n2), 1);
    n3.update((d) => applySpec(d, 'member-3', 'gpu', { podpreset: true, mode: 'inform' }));
    n3.update((d) => applySpec(d, 'member-3', 'net', { networkpolicy: true }));
    n2 = await node('member-2', [seed(n1, 'member-1')], { doc: A.load<FleetDoc>(saved) });
    await until('member-2 caught up', () => specOf(n2, 'gpu')?.mode === 'inform' && specOf(n2, 'net') !== undefined);
  });

  test('a partition with changes on both sides converges after it heals', async () => {
    const side = new Map([['member-1', 'a'], ['member-2', 'a'], ['member-3', 'b'], ['member-4', 'b']]);
    let partitioned = false;
    const allow = (self: string) => (peer: string) => !partitioned || side.get(self) === side.get(peer);
    const n1 = await node('member-1', [], { allowPeer: allow('member-1') });
    const rest = [];
    for (const m of ['member-2', 'member-3', 'member-4']) rest.push(await node(m, [seed(n1, 'member-1')], { allowPeer: allow(m) }));
    const all = [n1, ...rest];
    n1.update((d) => applySpec(d, 'member-1', 'gpu', { podpreset: true, kubelet: { cpuManagerPolicy: 'static' } }));
    await until('everyone has gpu', () => all.every((n) => specOf(n, 'gpu') !== undefined));
    partitioned = true;
    const names = ['member-1', 'member-2', 'member-3', 'member-4'];
    await until('no cross links', () => all.every((n, i) => n.connectedPeers().every((p) => side.get(p) === side.get(names[i]!))));
    rest[0]!.update((d) => applySpec(d, 'member-2', 'gpu', { podpreset: true, kubelet: { cpuManagerPolicy: 'static' }, mode: 'inform' }));
    rest[1]!.update((d) => applySpec(d, 'member-3', 'gpu', { podpreset: true, kubelet: { cpuManagerPolicy: 'static', containerLogMaxFiles: 3 } }));
    rest[2]!.update((d) => applySpec(d, 'member-4', 'net', { networkpolicy: true }));
    await new Promise((r) => setTimeout(r, 500));
    expect(specOf(n1, 'net')).toBeUndefined(); // the other side's change has not crossed
    expect(specOf(rest[1]!, 'gpu')?.mode).toBeUndefined();
    const healed = Date.now();
    partitioned = false;
    await until('converged after healing', () => sameHeads(all));
    const took = Date.now() - healed;
    for (const n of all) {
      expect(specOf(n, 'gpu')).toEqual({ podpreset: true, mode: 'inform', kubelet: { cpuManagerPolicy: 'static', containerLogMaxFiles: 3 } });
      expect(specOf(n, 'net')).toEqual({ networkpolicy: true });
    }
    expect(took).toBeLessThan(10_000);
  });

  test('agent revoke: an operator node hands over a revocation signed by the CA, a peer confirms it; the advertised address stays', async () => {
    const n1 = await node('member-1', []);
    const n2 = await node('member-2', [seed(n1, 'member-1')]);
    const n3 = await node('member-3', [seed(n1, 'member-1')]);
    await until('linked', () => n3.connectedPeers().length > 0 && peerAddresses(n2.doc).size === 3);
    const address = peerAddresses(n1.doc).get('member-1');
    expect(await revokeThroughPeers({ member: 'member-3', ca, peers: [seed(n2, 'member-2')] })).toEqual(['member-3']);
    await until('member-3 dropped by the others', () => !n2.connectedPeers().includes('member-3') && !n1.connectedPeers().includes('member-3'));
    expect(peerAddresses(n2.doc).get('member-1')).toBe(address);
    await expect(revokeThroughPeers({ member: 'member-2', ca, peers: [seed(n2, 'member-2')] })).rejects.toThrow(/at least one other member's agent/);
  });

  test('a fleet of two removes one: the revocation goes through the member that stays', async () => {
    const n1 = await node('member-1', []);
    const n2 = await node('member-2', [seed(n1, 'member-1')]);
    await until('linked', () => n1.connectedPeers().includes('member-2'));
    expect(await revokeThroughPeers({ member: 'member-2', ca, peers: [seed(n1, 'member-1')] })).toEqual(['member-2']);
    await until('member-2 dropped', () => !n1.connectedPeers().includes('member-2') && revokedMembers(n1.doc).has('member-2'));
    // member-2 keeps dialling (its TLS 1.3 handshake completes before member-1 checks it, so a link opens for a moment)
    // but learns nothing more.
    n1.update((d) => applySpec(d, 'member-1', 'after-removal', { podpreset: true }));
    await new Promise((r) => setTimeout(r, 1000));
    expect(specOf(n2, 'after-removal')).toBeUndefined();
  });

  test('values a member may not write are refused whole: a forged report, a revocation not signed by the CA; the sender is quarantined', async () => {
    const n1 = await node('member-1', []);
    const n2 = await node('member-2', [seed(n1, 'member-1')]);
    const n3 = await node('member-3', [seed(n1, 'member-1')], { fanout: 1 });
    const report = { member: 'member-1', featureconfig: 'gpu', generation: 1, features: [{ name: 'podpreset', state: 'Supported' }], updated: new Date().toISOString() };
    n1.update((d) => writeStatus(applySpec(d, 'member-1', 'gpu', { podpreset: true }), report, n1.signer!));
    await until('all have member-1\'s report', () => [n2, n3].every((n) => reports(n.doc).length === 1));
    const refusedBefore = n1.stats.forged + n2.stats.forged;
    // member-3 holds a valid agent certificate; it writes member-1's report as Failed, sealed with its own key.
    const key = statusKey('member-1', 'gpu');
    n3.update((d) => A.change(d, (x) => { x[key] = new A.ImmutableString(seal(n3.signer!, key, JSON.stringify({ ...report, features: [{ name: 'podpreset', state: 'Failed' }] }))); }));
    await until('refused', () => n1.stats.forged + n2.stats.forged > refusedBefore);
    await new Promise((r) => setTimeout(r, 300));
    for (const n of [n1, n2]) {
      expect(reports(n.doc)[0]!.features[0]!.state).toBe('Supported');
      expect(n.connectedPeers()).not.toContain('member-3');
    }
    // Its later, honest changes do not get through either while it is quarantined (and they build on the forged one).
    n3.update((d) => applySpec(d, 'member-3', 'net', { networkpolicy: true }));
    await new Promise((r) => setTimeout(r, 500));
    expect(specOf(n1, 'net')).toBeUndefined();
    // A revocation signed by a member's key instead of the CA's is refused the same way.
    const m4 = await node('member-4', [seed(n2, 'member-2')], { fanout: 1 });
    await until('member-4 linked', () => m4.connectedPeers().includes('member-2'));
    const forgedBefore = n2.stats.forged + n1.stats.forged;
    m4.update((d) => A.change(d, (x) => { x['rv\u001fmember-1'] = new A.ImmutableString(seal(m4.signer!, 'rv\u001fmember-1', JSON.stringify({ member: 'member-1', by: 'member-4', at: '' }))); }));
    await until('revocation refused', () => n2.stats.forged + n1.stats.forged > forgedBefore);
    expect(revokedMembers(n2.doc).has('member-1')).toBe(false);
    expect(revokedMembers(n1.doc).has('member-1')).toBe(false);
  });

  test('a certificate another member publishes under a member\'s name is refused', async () => {
    const n1 = await node('member-1', []);
    const n2 = await node('member-2', [seed(n1, 'member-1')]);
    await until('linked', () => n1.connectedPeers().includes('member-2'));
    const before = n1.stats.forged;
    // member-2's certificate filed as member-1's, with a report "from member-1" signed by member-2's key.
    const signer2 = agentSigner(creds.get('member-2')!);
    n2.update((d) => A.change(publishCertificate(d, signer2), (x) => {
      x[certificateKey('member-1', signer2.keyId)] = new A.ImmutableString(creds.get('member-2')!.cert);
    }));
    await until('refused', () => n1.stats.forged > before);
    expect(Object.keys(n1.doc).filter((k) => k.startsWith('ce\u001fmember-1')).length).toBe(1); // member-1's own only
  });

  test('a link that goes silent (a peer cut off by the network) is closed; an idle one is kept alive', async () => {
    // A peer with a valid agent certificate that completes the handshake and then says nothing, as behind a firewall dropping packets.
    const c = creds.get('member-2')!;
    const silent = tls.createServer({ ca: c.ca, cert: c.cert, key: c.key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (s) => s.on('data', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const n1 = await node('member-1', [{ member: 'member-2', host: '127.0.0.1', port }], { linkTimeoutMs: 600, roundMs: 50 });
      await until('linked to the silent peer', () => n1.connectedPeers().includes('member-2'));
      await until('the silent link closed', () => !n1.connectedPeers().includes('member-2'), 3000);
      // Two live agents with nothing to sync stay linked well past the timeout (keepalive frames).
      const a = await node('member-3', [], { linkTimeoutMs: 600 });
      const b = await node('member-4', [seed(a, 'member-3')], { linkTimeoutMs: 600 });
      await until('linked', () => b.connectedPeers().includes('member-3'));
      const closes: string[] = [];
      b.on('link', (m, e) => e === 'close' && closes.push(m));
      await new Promise((r) => setTimeout(r, 2000));
      expect(b.connectedPeers()).toContain('member-3');
      expect(closes).toEqual([]);
    } finally {
      silent.close();
    }
  });
});

describe('gossip round trips for network coordinates', () => {
  test('each link times ping/pong; the pong carries the peer\'s coordinate', async () => {
    const { AgentCoordinates } = await import('../../../coordinates/agent-coordinates.js');
    const c1 = new AgentCoordinates();
    const c2 = new AgentCoordinates();
    const seen: Array<{ peer: string; rtt: number }> = [];
    const spy = { own: () => c2.own(), sample: (peer: string, theirs: Parameters<typeof c2.sample>[1], rtt: number) => (seen.push({ peer, rtt }), c2.sample(peer, theirs, rtt)) };
    const n1 = await node('member-1', [], { coordinates: c1, pingEveryMs: 50 });
    const n2 = await node('member-2', [seed(n1, 'member-1')], { coordinates: spy, pingEveryMs: 50 });
    await until('round trips timed both ways', () => n1.stats.rttSamples >= 3 && n2.stats.rttSamples >= 3);
    expect(seen.every((s) => s.peer === 'member-1' && s.rtt > 0 && s.rtt < 1)).toBe(true);
    expect(c1.view('member-2')!.samples).toBeGreaterThanOrEqual(3);
    // Control frames do not disturb the sync protocol: a change still flows.
    n1.update((d) => applySpec(d, 'member-1', 'gpu', { podpreset: true }));
    await until('gpu on member-2', () => specOf(n2, 'gpu')?.podpreset === true);
  });

  test('a node without coordinates answers pings without one and sends none', async () => {
    const { AgentCoordinates } = await import('../../../coordinates/agent-coordinates.js');
    const c1 = new AgentCoordinates();
    const n1 = await node('member-1', [], { coordinates: c1, pingEveryMs: 50 });
    const n2 = await node('member-2', [seed(n1, 'member-1')]);
    await until('member-1 timed round trips', () => n1.stats.rttSamples >= 2);
    expect(c1.peerCount()).toBe(0); // pongs without a coordinate time the link but move nothing
    expect(n2.stats.rttSamples).toBe(0);
  });
});

describe('gossip across epochs (history truncation)', () => {
  const low = (graceMs = 0) => ({ epochs: { maxChanges: 40, graceMs, checkEveryMs: 50 } });
  const edits = (n: GossipNode, member: string, count: number, name = 'gpu') => {
    for (let i = 0; i < count; i++) n.update((d) => applySpec(d, member, name, { podpreset: true, kubelet: { containerLogMaxFiles: i + 1 } }));
  };

  test('over the threshold, every agent moves to epoch 1 at the same cut; an agent cut off after acknowledging it catches up across epochs', async () => {
    let partitioned = false;
    const allow = (self: string) => (peer: string) => !partitioned || (self !== 'member-3' && peer !== 'member-3');
    const n1 = await node('member-1', [], { ...low(1500), allowPeer: allow('member-1') });
    const n2 = await node('member-2', [seed(n1, 'member-1')], { ...low(1500), allowPeer: allow('member-2') });
    // member-3 would wait ten minutes before executing on its own: it moves only when a peer tells it.
    const n3 = await node('member-3', [seed(n1, 'member-1')], { ...low(600_000), allowPeer: allow('member-3') });
    await until('all linked', () => n1.connectedPeers().length === 2 && n3.connectedPeers().length > 0);
    edits(n1, 'member-1', 50);
    await until('every member acknowledged the proposal', () => readiness(n1.doc).ready !== undefined, 15_000);
    partitioned = true;
    await until('member-3 cut off', () => n3.connectedPeers().length === 0 && !n1.connectedPeers().includes('member-3'));
    expect(epochOf(n3.doc).n).toBe(0);
    n3.update((d) => applySpec(d, 'member-3', 'made-offline', { networkpolicy: true }));
    await until('member-1 and member-2 at epoch 1', () => epochOf(n1.doc).n === 1 && epochOf(n2.doc).n === 1);
    expect(epochOf(n1.doc)).toEqual(epochOf(n2.doc));
    n2.update((d) => applySpec(d, 'member-2', 'made-in-epoch-1', { podpreset: true }));
    await until('member-1 has the change made in epoch 1', () => specOf(n1, 'made-in-epoch-1') !== undefined);
    expect(A.getAllChanges(n1.doc).length).toBeLessThan(10);
    expect(specOf(n3, 'made-in-epoch-1')).toBeUndefined();
    partitioned = false;
    await until('converged across the epochs', () => sameHeads([n1, n2, n3]) && epochOf(n3.doc).n === 1, 15_000);
    // No epoch-0 change crossed into epoch 1 (the links carried no sync message between epochs).
    for (const n of [n1, n2, n3]) expect(A.getAllChanges(n.doc).length).toBeLessThan(12);
    for (const n of [n1, n2, n3]) {
      expect(specOf(n, 'made-offline')).toEqual({ networkpolicy: true });
      expect(specOf(n, 'made-in-epoch-1')).toEqual({ podpreset: true });
      expect(specOf(n, 'gpu')).toEqual({ podpreset: true, kubelet: { containerLogMaxFiles: 50 } });
    }
  }, 60_000);

  test('an agent at epoch 0 that lacks the fleet\'s cut says why and exchanges nothing with it', async () => {
    const n1 = await node('member-1', [], low());
    const n2 = await node('member-2', [seed(n1, 'member-1')], low());
    await until('linked and synced', () => n2.connectedPeers().length > 0 && sameHeads([n1, n2]));
    // A copy of the fleet's document from before the cut, that never acknowledged it (as a member removed and back).
    const stale = applySpec(A.clone(n2.doc, '0e'.repeat(16)), 'member-3', 'stale', { podpreset: true });
    edits(n1, 'member-1', 50);
    await until('both at epoch 1', () => epochOf(n1.doc).n === 1 && epochOf(n2.doc).n === 1 && sameHeads([n1, n2]), 15_000);
    const changes = A.getAllChanges(n1.doc).length;
    const errors: Array<Record<string, unknown>> = [];
    const quiet = () => undefined;
    const log = { error: (msg: string, meta: Record<string, unknown>) => errors.push({ msg, ...meta }), warn: quiet, info: quiet, debug: quiet } as unknown as Logger;
    const n3 = await node('member-3', [seed(n1, 'member-1')], { doc: stale, log, epochs: false });
    await until('linked to member-1', () => n3.connectedPeers().includes('member-1'));
    await until('the refusal logged', () => errors.length > 0);
    // member-1 (its seed), or member-2 (whose address its old copy holds), whichever linked first.
    expect(errors[0]).toMatchObject({ msg: 'gossip peer at another epoch; not syncing with it', peer: expect.stringMatching(/^member-[12]$/), epoch: 0, peerEpoch: 1 });
    expect(String(errors[0]!.reason)).toMatch(/does not hold/);
    await new Promise((r) => setTimeout(r, 500));
    expect(A.getAllChanges(n1.doc).length).toBe(changes);
    expect(specOf(n1, 'stale')).toBeUndefined();
    expect(specOf(n2, 'stale')).toBeUndefined();
    expect(specOf(n3, 'gpu')).toBeUndefined();
    expect(epochOf(n3.doc).n).toBe(0);
  });

  test('a new agent joining a fleet past epoch 0 adopts its epoch and keeps its own writes', async () => {
    const n1 = await node('member-1', [], low());
    const n2 = await node('member-2', [seed(n1, 'member-1')], low());
    await until('linked', () => n2.connectedPeers().length > 0);
    edits(n1, 'member-1', 50);
    await until('both at epoch 1', () => epochOf(n1.doc).n === 1 && epochOf(n2.doc).n === 1, 15_000);
    await until('synced', () => sameHeads([n1, n2]));
    const n4 = await node('member-4', [seed(n2, 'member-2')], low());
    await until('member-4 at epoch 1 with the fleet\'s state', () => epochOf(n4.doc).n === 1 && specOf(n4, 'gpu') !== undefined);
    await until('member-4\'s address reached member-1', () => peerAddresses(n1.doc).has('member-4'));
    await until('same heads', () => sameHeads([n1, n2, n4]));
  }, 60_000);
});
