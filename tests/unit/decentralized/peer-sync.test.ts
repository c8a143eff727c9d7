// One link's sync state: converges two replicas, and an idle link is not asked of Automerge again.
import { describe, expect, test } from '@jest/globals';
import * as A from '@automerge/automerge';
import { applySpec, liveConfigs, newFleetDoc, type FleetDoc } from '../../../decentralized/fleet-doc.js';
import { PeerSync } from '../../../decentralized/peer-sync.js';

/** Delivers messages both ways until neither side has anything to send; returns the messages exchanged. */
function exchange(a: { doc: A.Doc<FleetDoc>; sync: PeerSync }, b: { doc: A.Doc<FleetDoc>; sync: PeerSync }): number {
  let sent = 0;
  for (let i = 0; i < 20; i++) {
    const ab = a.sync.outgoing(a.doc);
    if (ab) b.doc = b.sync.incoming(b.doc, ab);
    const ba = b.sync.outgoing(b.doc);
    if (ba) a.doc = a.sync.incoming(a.doc, ba);
    if (!ab && !ba) return sent;
    sent += (ab ? 1 : 0) + (ba ? 1 : 0);
  }
  throw new Error('no quiescence after 20 rounds');
}

describe('PeerSync', () => {
  test('an idle link answers null without Automerge until the document changes or the peer says something', () => {
    const a = { doc: applySpec(newFleetDoc(), 'm1', 'gpu', { podpreset: true }), sync: new PeerSync() };
    const b = { doc: newFleetDoc(), sync: new PeerSync() };
    expect(exchange(a, b)).toBeGreaterThan(0);
    expect(liveConfigs(b.doc).get('gpu')?.spec).toEqual({ podpreset: true });

    // Quiescent: asked 100 more times about the same document, Automerge computes nothing.
    const before = a.sync.generated;
    for (let i = 0; i < 100; i++) expect(a.sync.outgoing(a.doc)).toBeNull();
    expect(a.sync.generated).toBe(before);
    // The same changes in another document object (e.g. a received message that changed nothing): still idle.
    expect(a.sync.outgoing(A.clone(a.doc))).toBeNull();
    expect(a.sync.generated).toBe(before);

    // A local change is sent at once, not answered from the idle check.
    a.doc = applySpec(a.doc, 'm1', 'net', { networkpolicy: true });
    const msg = a.sync.outgoing(a.doc);
    expect(msg).not.toBeNull();
    b.doc = b.sync.incoming(b.doc, msg!);
    expect(liveConfigs(b.doc).get('net')?.spec).toEqual({ networkpolicy: true });

    // The peer's own change reaches us through its message; our idle state is dropped and we acknowledge.
    exchange(a, b);
    b.doc = applySpec(b.doc, 'm2', 'gpu', { podpreset: true, mode: 'inform' });
    expect(exchange(b, a)).toBeGreaterThan(0);
    expect(liveConfigs(a.doc).get('gpu')?.spec).toEqual({ podpreset: true, mode: 'inform' });
    expect(A.getHeads(a.doc)).toEqual(A.getHeads(b.doc));
    expect(b.sync.peerHas(A.getHeads(b.doc))).toBe(true);
  });

  test('after reset the next exchange starts over (a reconnect to a peer that lost its state)', () => {
    const a = { doc: applySpec(newFleetDoc(), 'm1', 'gpu', { podpreset: true }), sync: new PeerSync() };
    const b = { doc: newFleetDoc(), sync: new PeerSync() };
    exchange(a, b);
    expect(a.sync.outgoing(a.doc)).toBeNull();
    // The peer restarts from nothing: a new replica with a new sync state.
    const fresh = { doc: newFleetDoc(), sync: new PeerSync() };
    a.sync.reset();
    expect(exchange(a, fresh)).toBeGreaterThan(0);
    expect(liveConfigs(fresh.doc).get('gpu')?.spec).toEqual({ podpreset: true });
  });
});
