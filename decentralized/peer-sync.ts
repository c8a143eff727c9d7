// One peer's Automerge sync state: what we believe the peer has, so each
// message carries only what it lacks (Automerge's sync protocol: Bloom
// filters of change hashes, then the missing changes). Pure; the transport
// is gossip.ts.
import * as A from '@automerge/automerge';
import type { FleetDoc } from './fleet-doc.js';

// Heads of each document object (immutable: a change makes a new object), shared by every link: reading them
// converts every hash to hex in wasm, and every link asks every round.
const headsOf = new WeakMap<A.Doc<FleetDoc>, string>();
function headsKey(doc: A.Doc<FleetDoc>): string {
  let key = headsOf.get(doc);
  if (key === undefined) headsOf.set(doc, (key = A.getHeads(doc).join(',')));
  return key;
}

export class PeerSync {
  private state: A.SyncState = A.initSyncState();
  // The heads of the document the last outgoing() had nothing to send for, the sync state untouched since: asking
  // again about the same changes gives null again. Gossip asks every link every round and after every message on
  // any link; most answers are null, and each costs a sync-state round trip through wasm (60 % of the sync
  // protocol's time in the 25-agent benchmark's heal).
  private idleAt?: string;
  /** Messages computed by Automerge (asked, not answered from the idle check), for diagnostics and tests. */
  generated = 0;

  /** The next message for the peer, or null when it has everything we know of. */
  outgoing(doc: A.Doc<FleetDoc>): Uint8Array | null {
    const heads = headsKey(doc);
    if (heads === this.idleAt) return null;
    const [state, message] = A.generateSyncMessage(doc, this.state);
    this.generated++;
    this.state = state;
    this.idleAt = message ? undefined : heads;
    return message;
  }

  /** Applies a peer's message; returns the merged document. */
  incoming(doc: A.Doc<FleetDoc>, message: Uint8Array): A.Doc<FleetDoc> {
    this.idleAt = undefined;
    const [next, state] = A.receiveSyncMessage(doc, this.state, message);
    this.state = state;
    return next;
  }

  /** Whether the peer has told us it holds every change in `heads`. */
  peerHas(heads: string[]): boolean {
    const shared = new Set(this.state.sharedHeads);
    return heads.every((h) => shared.has(h));
  }

  /** After a reconnect the peer may have lost what we thought it had (e.g. restarted without its state). */
  reset(): void {
    this.idleAt = undefined;
    this.state = A.initSyncState();
  }
}
