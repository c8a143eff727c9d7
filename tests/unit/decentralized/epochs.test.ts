import { beforeAll, describe, expect, test } from '@jest/globals';
import * as A from '@automerge/automerge';
import { loadFleetDoc, saveFleetDoc } from '../../../decentralized/compaction.js';
import {
  acknowledge, adopt, compactTo, epochOf, onPeerEpoch, overThreshold, propose, proposals, readiness, reapply,
  EPOCH_KEY, type EpochId,
} from '../../../decentralized/epochs.js';
import { advertise, applySpec, currentMembers, liveConfigs, newFleetDoc, peerAddresses, revokeMember, textOf, writeStatus, type FleetDoc } from '../../../decentralized/fleet-doc.js';
import { PeerSync } from '../../../decentralized/peer-sync.js';
import { testFleet, type TestFleet } from './signers.js';

let tf: TestFleet;
beforeAll(async () => {
  tf = await testFleet(['m1', 'm2', 'm3', 'm4']);
});

type Doc = A.Doc<FleetDoc>;
const names = ['m1', 'm2', 'm3'];

/** The replicated state, epoch bookkeeping aside, as plain values. */
function stateOf(doc: FleetDoc): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const k of Object.keys(doc).sort()) {
    if (k === EPOCH_KEY || k.startsWith('ak\u001f') || k.startsWith('ec\u001f')) continue;
    const v = doc[k];
    out[k] = typeof v === 'number' ? v : textOf(v)!;
  }
  return out;
}

/** Replicas exchanging sync messages as gossip.ts does: only at the same epoch, the one behind moving first. */
class Fleet {
  docs: Doc[];
  private links = new Map<string, PeerSync>();
  log: string[] = [];
  constructor(n: number) {
    this.docs = Array.from({ length: n }, (_, i) => advertise(newFleetDoc(`0${i + 1}`.repeat(8)), names[i]!, `10.0.0.${i + 1}:7946`, tf.signer(names[i]!)));
  }
  private link(from: number, to: number): PeerSync {
    const key = `${from}->${to}@${epochOf(this.docs[from]!).n}`;
    let s = this.links.get(key);
    if (!s) this.links.set(key, (s = new PeerSync()));
    return s;
  }
  /** The epoch handshake of one side; false when the link carries nothing. */
  private meet(x: number, y: number): boolean {
    const act = onPeerEpoch(this.docs[x]!, names[x]!, epochOf(this.docs[y]!));
    this.log.push(`${names[x]} ${act.action}`);
    if (act.action === 'compact') this.docs[x] = compactTo(this.docs[x]!, act.to);
    return act.action === 'sync' || act.action === 'compact' || act.action === 'wait';
  }
  /** Runs the protocol between a and b until neither has anything to send; false if they could not sync. */
  sync(a: number, b: number): boolean {
    if (!this.meet(a, b) || !this.meet(b, a)) return false;
    if (epochOf(this.docs[a]!).n !== epochOf(this.docs[b]!).n) return false;
    for (let i = 0; i < 50; i++) {
      const m1 = this.link(a, b).outgoing(this.docs[a]!);
      if (m1) this.docs[b] = this.link(b, a).incoming(this.docs[b]!, m1);
      const m2 = this.link(b, a).outgoing(this.docs[b]!);
      if (m2) this.docs[a] = this.link(a, b).incoming(this.docs[a]!, m2);
      if (!m1 && !m2) return true;
    }
    throw new Error('sync did not settle');
  }
  syncAll(among = this.docs.map((_, i) => i)): void {
    for (let round = 0; round < 2; round++) for (const a of among) for (const b of among) if (a < b) this.sync(a, b);
  }
  edit(i: number, f: (d: Doc, member: string) => Doc): void {
    this.docs[i] = f(this.docs[i]!, names[i]!);
  }
}

function busy(f: Fleet, rounds: number, tag = ''): void {
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < f.docs.length; i++) {
      f.edit(i, (d, m) => applySpec(d, m, `fc-${r % 4}`, { podpreset: true, kubelet: { containerLogMaxFiles: r + i + 1 }, mode: 'inform' }));
      f.edit(i, (d, m) => writeStatus(d, { member: m, featureconfig: `fc-${r % 4}`, generation: r, features: [], updated: `t${r}${tag}` }, tf.signer(m)));
    }
    f.syncAll();
  }
}

describe('epochs: deterministic base', () => {
  test('two replicas compacting at the same cut produce the same base change, and the same heads', () => {
    const f = new Fleet(2);
    busy(f, 10);
    const cut: EpochId = { n: 1, cut: [...A.getHeads(f.docs[0]!)].sort() };
    const a = compactTo(f.docs[0]!, cut);
    const b = compactTo(f.docs[1]!, cut);
    expect(A.getHeads(a)).toEqual(A.getHeads(b));
    expect(A.getAllChanges(a)).toEqual(A.getAllChanges(b)); // byte-identical, not merely equal hashes
    expect(A.getAllChanges(a).length).toBe(1);
    expect(stateOf(a)).toEqual(stateOf(f.docs[0]!));
    expect(epochOf(a)).toEqual(cut);
    // Each keeps its own actor for what it writes next.
    expect(A.getActorId(a)).toBe(A.getActorId(f.docs[0]!));
  });

  test('changes after the cut are re-applied, one change per replica, and the replicas converge on the merged state', () => {
    const f = new Fleet(2);
    busy(f, 5);
    const heads = [...A.getHeads(f.docs[0]!)].sort();
    f.edit(0, (d, m) => applySpec(d, m, 'late-1', { networkpolicy: true }));
    f.edit(1, (d, m) => applySpec(d, m, 'fc-0', { podpreset: false })); // also removes leaves: a delete after the cut
    const reference = new Fleet(2);
    reference.docs = f.docs.map((d) => A.clone(d));
    reference.syncAll();
    const e = { n: 1, cut: heads };
    const a = compactTo(f.docs[0]!, e);
    const b = compactTo(f.docs[1]!, e);
    expect(A.getAllChanges(a)[0]).toEqual(A.getAllChanges(b)[0]);
    expect(A.getAllChanges(a).length).toBe(2);
    f.docs = [a, b];
    expect(f.sync(0, 1)).toBe(true);
    expect(stateOf(f.docs[0]!)).toEqual(stateOf(f.docs[1]!));
    expect(stateOf(f.docs[0]!)).toEqual(stateOf(reference.docs[0]!));
    expect(liveConfigs(f.docs[1]!).get('fc-0')?.spec).toEqual({ podpreset: false });
  });

  test('the epoch is saved with the document', () => {
    const f = new Fleet(1);
    busy(f, 3);
    const e = { n: 1, cut: [...A.getHeads(f.docs[0]!)].sort() };
    const loaded = loadFleetDoc(saveFleetDoc(compactTo(f.docs[0]!, e)));
    expect(epochOf(loaded)).toEqual(e);
    expect(() => compactTo(loaded, { n: 3, cut: [] })).toThrow(/one at a time/);
  });
});

describe('epochs: choosing the cut without a consensus round', () => {
  test('a proposal is executed once every current member has acknowledged it; one that never acks blocks it', () => {
    const f = new Fleet(3);
    busy(f, 20);
    expect(currentMembers(f.docs[0]!)).toEqual(new Set(names));
    expect(overThreshold(f.docs[0]!, 0, { maxChanges: 100, maxBytes: 1 << 20 })).toBe(true);
    expect(overThreshold(f.docs[0]!, 0, { maxChanges: 5000, maxBytes: 1 << 20 })).toBe(false);
    // No proposal: nobody acks (a quiet fleet below the threshold writes nothing).
    expect(acknowledge(f.docs[0]!, tf.signer('m1'))).toBe(f.docs[0]);
    f.edit(0, (d, m) => propose(d, tf.signer(m)));
    const cut = proposals(f.docs[0]!)[0]!.cut;
    expect(propose(f.docs[0]!, tf.signer('m1'))).toBe(f.docs[0]); // once per epoch
    f.edit(0, (d, m) => acknowledge(d, tf.signer(m)));
    expect(acknowledge(f.docs[0]!, tf.signer('m1'))).toBe(f.docs[0]); // already covered
    expect(readiness(f.docs[0]!).waitingFor).toEqual(['m2', 'm3']);
    f.syncAll();
    // A change after the cut and, on m3, one made concurrently before it acks.
    f.edit(1, (d, m) => applySpec(d, m, 'after-cut', { networkpolicy: true }));
    f.edit(1, (d, m) => acknowledge(d, tf.signer(m)));
    f.syncAll([0, 1]);
    expect(readiness(f.docs[0]!).waitingFor).toEqual(['m3']);
    expect(readiness(f.docs[0]!).ready).toBeUndefined();
    // m3 has not acknowledged: however long the others wait, the cut is not stable.
    busy(f, 2, 'x');
    f.edit(0, (d, m) => acknowledge(d, tf.signer(m)));
    f.edit(1, (d, m) => acknowledge(d, tf.signer(m)));
    f.syncAll([0, 1]);
    f.syncAll([0, 1]);
    expect(readiness(f.docs[0]!).waitingFor).toEqual(['m3']);
    f.edit(2, (d, m) => applySpec(d, m, 'on-m3', { podpreset: true }));
    f.edit(2, (d, m) => acknowledge(d, tf.signer(m)));
    f.syncAll();
    const r = readiness(f.docs[1]!);
    expect(r.ready).toEqual({ n: 1, cut });
    expect(r.proposal?.member).toBe('m1');
    // m1 and m2 execute; m3 goes offline before it does, makes a change there, and rejoins later.
    const reference = f.docs.map((d) => A.clone(d));
    f.edit(0, (d) => compactTo(d, r.ready!));
    f.edit(2, (d, m) => applySpec(d, m, 'offline-change', { networkpolicy: true }));
    reference[2] = A.clone(f.docs[2]!);
    f.edit(1, (d, m) => applySpec(d, m, 'late', { podpreset: true }));
    reference[1] = A.clone(f.docs[1]!);
    expect(f.sync(0, 1)).toBe(true); // m2 meets m1's epoch 1 and moves to it at the cut it holds
    expect(f.log.slice(-2)).toEqual(['m1 wait', 'm2 compact']);
    expect(epochOf(f.docs[1]!).n).toBe(1);
    expect(f.sync(2, 0)).toBe(true);
    expect(f.log.slice(-2)).toEqual(['m3 compact', 'm1 sync']);
    f.syncAll();
    // Everything any replica accepted in epoch 0 is there: the same state as replicas that never compacted.
    const ref = new Fleet(3);
    ref.docs = reference;
    ref.syncAll();
    for (const d of f.docs) expect(stateOf(d)).toEqual(stateOf(ref.docs[0]!));
    expect(new Set(f.docs.map((d) => JSON.stringify(A.getHeads(d)))).size).toBe(1);
    expect(A.stats(f.docs[0]!).numChanges).toBeLessThan(10);
    expect(A.stats(ref.docs[0]!).numChanges).toBeGreaterThan(100);
    expect(saveFleetDoc(f.docs[0]!).length).toBeLessThan(saveFleetDoc(ref.docs[0]!).length / 2);
  });

  test('concurrent proposals: every replica executes the smallest member\'s, whichever it saw first', () => {
    const f = new Fleet(3);
    busy(f, 3);
    f.edit(2, (d, m) => propose(d, tf.signer(m)));
    f.edit(1, (d, m) => applySpec(d, m, 'x', { podpreset: true }));
    f.edit(1, (d, m) => propose(d, tf.signer(m))); // concurrently, from other heads
    f.edit(2, (d, m) => acknowledge(d, tf.signer(m)));
    f.edit(1, (d, m) => acknowledge(d, tf.signer(m)));
    f.syncAll([1, 2]);
    f.edit(2, (d, m) => acknowledge(d, tf.signer(m))); // m3 now holds m2's proposal too
    f.edit(1, (d, m) => acknowledge(d, tf.signer(m)));
    f.syncAll();
    for (let i = 0; i < 3; i++) f.edit(i, (d, m) => acknowledge(d, tf.signer(m)));
    f.syncAll();
    const picks = f.docs.map((d) => readiness(d));
    expect(picks.map((p) => p.proposal?.member)).toEqual(['m2', 'm2', 'm2']);
    expect(picks.every((p) => p.ready && JSON.stringify(p.ready) === JSON.stringify(picks[0]!.ready))).toBe(true);
    f.docs = f.docs.map((d, i) => compactTo(d, picks[i]!.ready!));
    expect(new Set(f.docs.map((d) => JSON.stringify(A.getAllChanges(d)[0]))).size).toBe(1);
  });

  test('a revoked member is not waited for; a replica that lacks the cut refuses to sync; a new agent adopts the epoch', () => {
    const f = new Fleet(3);
    busy(f, 3);
    const stale = A.clone(f.docs[2]!); // m3 before the proposal
    f.edit(0, (d) => revokeMember(d, { member: 'm3', by: 'operator', at: 't' }, tf.caSigner));
    f.edit(0, (d, m) => propose(d, tf.signer(m)));
    f.edit(0, (d, m) => acknowledge(d, tf.signer(m)));
    f.syncAll([0, 1]);
    f.edit(1, (d, m) => acknowledge(d, tf.signer(m)));
    f.syncAll([0, 1]);
    expect(currentMembers(f.docs[0]!)).toEqual(new Set(['m1', 'm2']));
    const ready = readiness(f.docs[0]!).ready!;
    expect(ready.n).toBe(1);
    f.edit(0, (d) => compactTo(d, ready));
    // m3 (revoked, and it never received the proposal) lacks the cut: it is told why and nothing is exchanged.
    f.docs[2] = stale;
    const act = onPeerEpoch(f.docs[2]!, 'm3', epochOf(f.docs[0]!));
    expect(act.action).toBe('refuse');
    expect(f.sync(2, 0)).toBe(false);
    expect(onPeerEpoch(f.docs[0]!, 'm1', { n: 1, cut: ['00'] })).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/different cuts/) });
    expect(onPeerEpoch(f.docs[1]!, 'm2', { n: 2, cut: [] })).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/more than one past/) });
    // A new agent (its document holds only its own address) takes the epoch, then re-applies its own writes.
    const fresh = advertise(newFleetDoc('0f'.repeat(16)), 'm4', '10.0.0.4:7946', tf.signer('m4'));
    expect(onPeerEpoch(fresh, 'm4', epochOf(f.docs[0]!)).action).toBe('adopt');
    // So does one restarted (a new actor) before it ever reached a peer; one that met the fleet does not.
    const restarted = advertise(A.load<FleetDoc>(A.save(fresh), '0e'.repeat(16)), 'm4', '10.0.0.44:7946', tf.signer('m4'));
    expect(onPeerEpoch(restarted, 'm4', epochOf(f.docs[0]!)).action).toBe('adopt');
    const { doc: empty, own } = adopt(fresh);
    const s1 = new PeerSync();
    const s0 = new PeerSync();
    let joined = empty;
    for (let i = 0; i < 10; i++) {
      const m = s0.outgoing(f.docs[0]!);
      if (m) joined = s1.incoming(joined, m);
      const back = s1.outgoing(joined);
      if (back) f.docs[0] = s0.incoming(f.docs[0]!, back);
      if (!m && !back) break;
    }
    expect(epochOf(joined)).toEqual(epochOf(f.docs[0]!));
    joined = reapply(joined, own);
    expect(peerAddresses(joined).get('m4')).toBe('10.0.0.4:7946');
    expect(peerAddresses(joined).get('m1')).toBe('10.0.0.1:7946');
  });
});
