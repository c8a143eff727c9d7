// `fedfeat agent revoke MEMBER` / `fedfeat unjoin --decentralized`: removes a
// member from the fleet. Only whoever holds the fleet CA can: the revocation
// is signed with the CA key (fleet-signing.ts), and agents refuse one that is
// not. A short-lived gossip node with an operator certificate (issued from
// the same CA, peer-auth.ts) learns the document from the peers given,
// writes the revocation and waits until a peer holds it; from then on it
// spreads like any change and every agent refuses the removed member's
// certificate (gossip.ts). Any other member's agent will do as the peer, so
// a fleet of two can remove one.
import { GossipNode, type PeerAddress } from './gossip.js';
import { revokeMember, revokedMembers } from './fleet-doc.js';
import { issueOperatorCert } from './agent-cert.js';
import { caSigner } from './fleet-signing.js';
import { OPERATOR_PREFIX } from './peer-auth.js';
import type { Pem } from '../pki/x509.js';

export async function revokeThroughPeers(o: { member: string; ca: Pem; peers: PeerAddress[]; timeoutMs?: number; reason?: string; operator?: string }): Promise<string[]> {
  const peers = o.peers.filter((p) => p.member !== o.member);
  if (!peers.length) throw new Error(`revoking ${o.member} needs the address of at least one other member's agent`);
  const operator = o.operator ?? 'fedfeat-operator';
  const credentials = await issueOperatorCert(o.ca, operator);
  const node = new GossipNode({ member: `${OPERATOR_PREFIX}${operator}`, credentials, listen: { host: '127.0.0.1', port: 0 }, seeds: peers, fanout: peers.length, roundMs: 100, advertise: false });
  await node.start();
  try {
    const end = Date.now() + (o.timeoutMs ?? 15_000);
    // First learn the document, so the revocation is made on top of the fleet's state.
    while (node.stats.messagesReceived < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    if (node.stats.messagesReceived === 0) throw new Error(`no agent answered at ${peers.map((p) => `${p.member}=${p.host}:${p.port}`).join(', ')}`);
    node.update((d) => revokeMember(d, { member: o.member, by: operator, at: new Date().toISOString(), ...(o.reason ? { reason: o.reason } : {}) }, caSigner(o.ca)));
    // A peer answers the message carrying the change with its new heads: then it holds the change.
    while (node.upToDatePeers().length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    if (node.upToDatePeers().length === 0) throw new Error(`no peer confirmed the revocation of ${o.member} within the timeout`);
    return [...revokedMembers(node.doc)];
  } finally {
    await node.stop();
  }
}
