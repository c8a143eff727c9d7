// `fedfeat agent revoke MEMBER`: removes a member from the fleet. Runs a
// short-lived gossip node with the caller's agent certificate (any member's),
// writes the revocation into the document, and waits until a peer has it;
// from then on it spreads like any change and every agent refuses the
// removed member's certificate (gossip.ts).
import { GossipNode, type PeerAddress } from './gossip.js';
import { revokeMember, revokedMembers } from './fleet-doc.js';
import type { AgentCredentials } from './agent-cert.js';

export async function revokeThroughPeers(o: { as: string; member: string; credentials: AgentCredentials; peers: PeerAddress[]; timeoutMs?: number; reason?: string }): Promise<string[]> {
  if (o.as === o.member) throw new Error('a member cannot revoke itself through its own certificate; run this as another member');
  // Reusing the member's identity for a moment is safe: a new process is a new Automerge actor.
  // Its own agent would refuse it (same name: "connected to itself"), so only the others are dialled.
  const peers = o.peers.filter((p) => p.member !== o.as);
  if (!peers.length) throw new Error(`agent revoke needs the address of at least one agent other than ${o.as}'s own`);
  const node = new GossipNode({ member: o.as, credentials: o.credentials, listen: { host: '127.0.0.1', port: 0 }, seeds: peers, fanout: peers.length, roundMs: 100, advertise: false });
  await node.start();
  try {
    const end = Date.now() + (o.timeoutMs ?? 15_000);
    // First learn the document, so the revocation is made on top of the fleet's state.
    while (node.stats.messagesReceived < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    node.update((d) => revokeMember(d, { member: o.member, by: o.as, at: new Date().toISOString(), ...(o.reason ? { reason: o.reason } : {}) }));
    // A peer answers the message carrying the change with its new heads: then it holds the change.
    while (node.upToDatePeers().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    if (node.upToDatePeers().length === 0) throw new Error(`no peer confirmed the revocation of ${o.member} within the timeout`);
    return [...revokedMembers(node.doc)];
  } finally {
    await node.stop();
  }
}
