// Peer-to-peer gossip of the fleet document over mutually authenticated TLS.
//
// Every agent listens on one port and keeps outbound links to `fanout` peers
// picked at random from the seed list and the addresses members advertise in
// the document. Each link runs Automerge's sync protocol with its own sync
// state (peer-sync.ts): a local or received change is offered to every open
// link at once, so it floods the overlay in a few hops; every `rotateRounds`
// rounds the oldest outbound link is replaced by one to another peer, so over
// time every pair of members syncs directly (anti-entropy: a member that was
// stopped or cut off catches up from whichever peer it meets first, and the
// sync protocol sends exactly what it lacks).
//
// Both ends present certificates issued by the fleet CA and check the other's
// (peer-auth.ts): a connection is used only after both checks, so an agent
// without a valid certificate neither receives nor sends any change. A peer's
// changes are taken in only if every value they bring that speaks for one
// member (or for the fleet) carries that member's (the CA's) signature
// (fleet-signing.ts); otherwise the message is refused whole, the link closed
// and the peer quarantined for a while.
//
// Epochs (epochs.ts): each end announces its document's epoch in a control
// frame when a link opens and whenever it moves to a new one; the sync
// protocol runs on a link only while both ends are at the same epoch (their
// histories share no hash otherwise). The one behind moves to the peer's epoch
// at the announced cut, which it holds if it acknowledged it, and then syncs.
import { EventEmitter } from 'node:events';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import * as A from '@automerge/automerge';
import type { Logger } from '../controller/logger.js';
import type { AgentCredentials } from './agent-cert.js';
import { newFleetDoc, peerAddresses, revokedMembers, advertise, type FleetDoc } from './fleet-doc.js';
import { FleetTrust, agentSigner, publishCertificate, type Signer } from './fleet-signing.js';
import type { PeerCoordinateSource } from '../coordinates/agent-coordinates.js';
import { AGENT_ORGANIZATION, acceptPeer, certFields } from './peer-auth.js';
import { PeerSync } from './peer-sync.js';
import { DEFAULT_EPOCH_OPTIONS, acknowledge, adopt, compactTo, epochOf, isEpoch, onPeerEpoch, overThreshold, propose, readiness, reapply, sameEpoch, type EpochId, type EpochOptions } from './epochs.js';

export interface PeerAddress {
  member: string;
  host: string;
  port: number;
}

export interface GossipOptions {
  member: string;
  credentials: AgentCredentials;
  listen: { host: string; port: number };
  /** Where peers reach this agent (host:port); default the listen address. Written into the document; false: not written (a one-shot client such as `agent revoke`). */
  advertise?: string | false;
  seeds?: PeerAddress[];
  /** Outbound links kept open. */
  fanout?: number;
  roundMs?: number;
  rotateRounds?: number;
  /** Source address of outbound links (default: the kernel's choice); lets a firewall tell agents on one host apart. */
  localAddress?: string;
  /**
   * A link that has carried nothing for this long is closed (a peer cut off by the network leaves a link
   * that neither fails nor delivers; TCP would wait out its retransmission backoff). Idle links carry an
   * empty keepalive frame every linkTimeoutMs / 3. Default 3000.
   */
  linkTimeoutMs?: number;
  /** TCP connect + TLS handshake limit of a dial. Default 3000. */
  dialTimeoutMs?: number;
  /**
   * TCP connect limit of a dial (no SYN-ACK yet): the peer is unreachable and tried again after the short backoff.
   * Below the kernel's first SYN retransmission (1 s) would only add dials; above, a dial started during a
   * partition holds a fanout slot past its heal waiting for the next retransmission (3 s after the first SYN).
   * Default 1000.
   */
  connectTimeoutMs?: number;
  /**
   * Network coordinates from agent-to-agent round trips: every link sends a ping each pingEveryMs; the pong
   * carries the peer's coordinate and the measured RTT goes to `sample`. Without it pings are not sent (pongs
   * are still answered, without a coordinate when there is none).
   */
  coordinates?: PeerCoordinateSource;
  /** Default 2000. */
  pingEveryMs?: number;
  /** Partition experiments: members this agent must neither dial nor accept. */
  allowPeer?: (member: string) => boolean;
  /**
   * History truncation (epochs.ts): thresholds, grace, how often they are checked (default 5000 ms) and the
   * saved document's size (the agent's last save; default: not counted). false, and a node that does not
   * advertise itself (a one-shot client such as `agent revoke`), neither propose nor acknowledge epochs
   * (an ack speaks for the member's agent); every node still honours them on its links.
   */
  epochs?: false | (Partial<EpochOptions> & {
    checkEveryMs?: number;
    savedBytes?: () => number;
    /** Called (synchronously) before an ack is written: an ack promises the peers this member holds its heads, so they must be on disk first. */
    persist?: () => void;
  });
  doc?: A.Doc<FleetDoc>;
  log?: Logger;
}

export interface GossipStats {
  bytesSent: number;
  bytesReceived: number;
  messagesSent: number;
  messagesReceived: number;
  refused: number;
  /** Peer messages refused because a value in them was not signed by the member (or CA) it speaks for. */
  forged: number;
  /** Messages that brought changes, whose signed values were checked, and the time the checks took (ms). */
  checked: number;
  checkMs: number;
  /** Round trips timed (pongs matched to their ping). */
  rttSamples: number;
}

// Sync messages are small (changes since the last exchange); a frame this large is an attack or a bug.
const MAX_FRAME = 64 * 1024 * 1024;
// A frame whose length word has the top bit set is a control frame (JSON: ping/pong), not a sync message.
// Agents from before it read that as a frame over MAX_FRAME and close the link: upgrade a fleet at once.
const CONTROL = 0x80000000;
// A peer that sent a forged value is neither dialled nor accepted for this long (it would send it again at once).
const QUARANTINE_MS = 60_000;

type Control = { ping: number } | { pong: number; coordinate?: import('../coordinates/vivaldi.js').Coordinate } | { epoch: number; cut: string[] };

interface Link {
  member: string;
  socket: tls.TLSSocket;
  sync: PeerSync;
  outbound: boolean;
  opened: number;
  pending: Buffer;
  /** A message came in: the peer accepted us (a refusing peer closes before sending any). */
  heard?: boolean;
  lastHeard: number;
  lastSent: number;
  /** The ping in flight (id, when sent) and when the last one went out. */
  ping?: { id: number; sent: bigint };
  lastPing: number;
  /** The epoch the peer last announced: sync messages flow only while it is ours. */
  peerEpoch?: EpochId;
}

export function parseAddress(member: string, address: string): PeerAddress {
  const m = /^(.+):(\d+)$/.exec(address);
  if (!m) throw new Error(`peer address of ${member} must be HOST:PORT, got ${JSON.stringify(address)}`);
  return { member, host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

type Events = { change: [A.Doc<FleetDoc>]; link: [string, 'open' | 'close']; refused: [string]; epoch: [EpochId] };

export class GossipNode extends EventEmitter<Events> {
  doc: A.Doc<FleetDoc>;
  readonly stats: GossipStats = { bytesSent: 0, bytesReceived: 0, messagesSent: 0, messagesReceived: 0, refused: 0, forged: 0, checked: 0, checkMs: 0, rttSamples: 0 };
  /** Signs what this agent says for its member (undefined for an operator's node, which is no member). */
  readonly signer?: Signer;
  private readonly trust: FleetTrust;
  /** Peers that sent a forged value: neither dialled nor accepted until then (ms since epoch). */
  private readonly quarantine = new Map<string, number>();
  private pingId = 0;
  private server?: tls.Server;
  private links = new Set<Link>();
  // Every socket, also those still in their handshake: stop() closes them all.
  private sockets = new Set<{ destroy(): void; once(e: 'close', f: () => void): unknown }>();
  private dialing = new Set<string>();
  private backoff = new Map<string, { until: number; delay: number }>();
  // One TLS context for every dial: building it per dial (parsing the key, certificate and CA) was a visible share of the CPU profile of 25 agents rotating links.
  private clientContext?: tls.SecureContext;
  // Addresses and revocations read from the document, kept until the document changes (reading them walks every key of it, each round).
  private view?: { doc: A.Doc<FleetDoc>; addresses: Map<string, string>; revoked: Set<string> };
  private flushPending = false;
  private timer?: NodeJS.Timeout;
  private round = 0;
  private stopped = false;
  /** Taking a peer's epoch with a document that never met the fleet: its state is re-applied once the epoch's history arrives. */
  private adopting?: { to: EpochId; own: ReturnType<typeof adopt>['own']; deferred: Array<(doc: A.Doc<FleetDoc>) => A.Doc<FleetDoc>> };
  private epochReadySince?: { key: string; at: number };
  private lastEpochCheck = 0;
  port = 0;

  constructor(private readonly opts: GossipOptions) {
    super();
    this.doc = opts.doc ?? newFleetDoc();
    this.trust = new FleetTrust(opts.credentials.ca);
    const organizations = ([] as string[]).concat(certFields(new X509Certificate(opts.credentials.cert)).subject.O ?? []);
    if (organizations.includes(AGENT_ORGANIZATION)) this.signer = agentSigner(opts.credentials);
    if (this.signer && this.signer.member !== opts.member) throw new Error(`the agent certificate names ${this.signer.member}, not ${opts.member}: an agent writes only as the member its certificate names`);
  }

  private quarantined(member: string): boolean {
    return (this.quarantine.get(member) ?? 0) > Date.now();
  }

  private get fanout() {
    return this.opts.fanout ?? 3;
  }

  private allowed(member: string): boolean {
    return this.opts.allowPeer ? this.opts.allowPeer(member) : true;
  }

  async start(): Promise<void> {
    const { ca, cert, key } = this.opts.credentials;
    this.clientContext = tls.createSecureContext({ ca, cert, key, minVersion: 'TLSv1.3' });
    const server = tls.createServer({ ca, cert, key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (socket) => {
      const check = acceptPeer(socket.getPeerCertificate(), this.opts.member, this.docView().revoked);
      if (!check.ok || !this.allowed(check.member) || this.quarantined(check.member)) {
        this.refuse(!check.ok ? check.reason : this.quarantined(check.member) ? `peer ${check.member} quarantined (it sent a forged value)` : `peer ${check.member} filtered out`);
        socket.destroy();
        return;
      }
      this.open(check.member, socket, false);
    });
    // A handshake failing (wrong CA, no certificate) never reaches the handler above.
    server.on('tlsClientError', (err) => this.refuse(`inbound handshake failed: ${err.message}`));
    server.on('connection', (raw: import('node:net').Socket) => this.track(raw));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listen.port, this.opts.listen.host, () => resolve());
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.opts.listen.port;
    this.ownEntries();
    this.timer = setInterval(() => this.tick(), this.opts.roundMs ?? 250);
    this.timer.unref();
    this.tick();
  }

  /**
   * This agent's certificate and address in the document (signed). Checked every round: another member
   * may delete them (fleet-signing.ts), and then they are simply written again.
   */
  private ownEntries(): void {
    const signer = this.signer;
    if (this.opts.advertise === false || !signer) return;
    const address = this.opts.advertise || `${this.opts.listen.host}:${this.port}`;
    this.update((d) => advertise(publishCertificate(d, signer), this.opts.member, address, signer));
  }

  /** A local change (e.g. a FeatureConfig applied on this member): offered to every peer at once. */
  update(fn: (doc: A.Doc<FleetDoc>) => A.Doc<FleetDoc>): void {
    if (this.adopting) {
      this.adopting.deferred.push(fn); // written on top of the adopted epoch, not beside it
      return;
    }
    const next = fn(this.doc);
    if (next === this.doc) return;
    this.doc = next;
    this.emit('change', this.doc);
    this.flushAll();
  }

  /** Peers that have confirmed holding everything this node holds now. */
  upToDatePeers(): string[] {
    const heads = A.getHeads(this.doc);
    return [...new Set([...this.links].filter((l) => l.sync.peerHas(heads)).map((l) => l.member))].sort();
  }

  /** Open links, for diagnostics: peer, direction, and how long ago it was opened and last heard from (ms). */
  linkInfo(): Array<{ member: string; outbound: boolean; openedMsAgo: number; heardMsAgo: number; remote: string }> {
    const now = Date.now();
    return [...this.links].map((l) => ({
      member: l.member, outbound: l.outbound, openedMsAgo: now - l.opened, heardMsAgo: now - l.lastHeard,
      remote: `${l.socket.remoteAddress}:${l.socket.remotePort}`,
    }));
  }

  /** Dial state, for diagnostics: peers being dialed, and those in backoff (ms until the next try, current delay). */
  dialInfo(): { dialing: string[]; backoff: Array<{ member: string; inMs: number; delayMs: number }> } {
    const now = Date.now();
    return {
      dialing: [...this.dialing].sort(),
      backoff: [...this.backoff].filter(([, b]) => b.until > now).map(([member, b]) => ({ member, inMs: b.until - now, delayMs: b.delay })),
    };
  }

  connectedPeers(): string[] {
    return [...new Set([...this.links].map((l) => l.member))].sort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.links.clear();
    await closed;
  }

  private track(socket: { destroy(): void; once(e: 'close', f: () => void): unknown }): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private docView(): { addresses: Map<string, string>; revoked: Set<string> } {
    if (this.view?.doc !== this.doc) this.view = { doc: this.doc, addresses: peerAddresses(this.doc), revoked: revokedMembers(this.doc) };
    return this.view;
  }

  /** Drops every link to peers now filtered out (partition experiments) or revoked. */
  private prune(): void {
    const revoked = this.docView().revoked;
    for (const link of this.links) {
      if (!this.allowed(link.member) || revoked.has(link.member)) link.socket.destroy();
    }
  }

  private candidates(): PeerAddress[] {
    const byMember = new Map<string, PeerAddress>();
    for (const seed of this.opts.seeds ?? []) byMember.set(seed.member, seed);
    const { addresses, revoked } = this.docView();
    for (const [member, address] of addresses) {
      try {
        byMember.set(member, parseAddress(member, address));
      } catch {
        // A malformed advertisement is that member's problem; the others still count.
      }
    }
    const linked = new Set([...this.links].map((l) => l.member));
    const now = Date.now();
    return [...byMember.values()].filter(
      (p) => p.member !== this.opts.member && !revoked.has(p.member) && this.allowed(p.member) && !linked.has(p.member) && !this.dialing.has(p.member) && (this.backoff.get(p.member)?.until ?? 0) <= now && !this.quarantined(p.member),
    );
  }

  private tick(): void {
    if (this.stopped) return;
    this.round++;
    this.prune();
    this.ownEntries();
    const outbound = [...this.links].filter((l) => l.outbound);
    const rotate = this.opts.rotateRounds ?? 8;
    const candidates = this.candidates();
    if (this.round % rotate === 0 && outbound.length >= this.fanout && candidates.length > 0) {
      outbound.sort((a, b) => a.opened - b.opened)[0]!.socket.end();
    }
    let want = this.fanout - outbound.length - this.dialing.size;
    while (want-- > 0 && candidates.length > 0) {
      const pick = candidates.splice(Math.floor(Math.random() * candidates.length), 1)[0]!;
      this.dial(pick);
    }
    // Anti-entropy on open links: nothing is sent when the peer is known to be up to date.
    this.flushAll();
    this.pingAll();
    this.keepalive();
    this.epochTick();
  }

  private dial(peer: PeerAddress): void {
    this.dialing.add(peer.member);
    let verdict: string | undefined;
    const socket = tls.connect({
      host: peer.host,
      port: peer.port,
      secureContext: this.clientContext ?? tls.createSecureContext(this.opts.credentials),
      servername: peer.member,
      minVersion: 'TLSv1.3',
      ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}),
      // The chain is checked against the fleet CA by Node; this checks whose certificate it is.
      checkServerIdentity: (_host, peerCert) => {
        const check = acceptPeer(peerCert, this.opts.member, this.docView().revoked, peer.member);
        if (check.ok) return undefined;
        verdict = check.reason;
        return new Error(check.reason);
      },
    });
    const failed = (reason: string, unreachable: boolean) => {
      this.dialing.delete(peer.member);
      // A peer out of reach is tried again within a second (a healed partition is noticed fast); one that refused us, up to 5 s.
      this.backOff(peer.member, unreachable ? 1000 : 5000);
      this.refuse(`dial ${peer.member} at ${peer.host}:${peer.port}: ${reason}`, unreachable);
    };
    this.track(socket);
    let timedOut = false;
    socket.setTimeout(this.opts.dialTimeoutMs ?? 3000, () => {
      timedOut = true;
      socket.destroy(new Error('handshake timed out'));
    });
    const connectTimer = setTimeout(() => {
      timedOut = true;
      socket.destroy(new Error('connect timed out'));
    }, this.opts.connectTimeoutMs ?? 1000);
    connectTimer.unref();
    socket.once('connect', () => clearTimeout(connectTimer));
    socket.once('close', () => clearTimeout(connectTimer));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const unreachable = !verdict && (timedOut || ['ECONNREFUSED', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENETUNREACH'].includes(err.code ?? ''));
      if (this.dialing.has(peer.member)) failed(verdict ?? err.message, unreachable);
    });
    socket.once('secureConnect', () => {
      socket.setTimeout(0);
      this.dialing.delete(peer.member);
      this.open(peer.member, socket, true);
    });
  }

  private backOff(member: string, capMs = 5000): void {
    const prev = this.backoff.get(member)?.delay ?? 250;
    const delay = Math.min(prev * 2, capMs);
    this.backoff.set(member, { until: Date.now() + delay, delay });
  }

  private refuse(reason: string, unreachable = false): void {
    if (unreachable) {
      // A peer that is down is not a security event: logged quietly, retried with backoff.
      this.opts.log?.debug('gossip peer unreachable', { member: this.opts.member, reason });
      return;
    }
    this.stats.refused++;
    this.opts.log?.warn('gossip peer refused', { member: this.opts.member, reason });
    this.emit('refused', reason);
  }

  private open(member: string, socket: tls.TLSSocket, outbound: boolean): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const link: Link = { member, socket, sync: new PeerSync(), outbound, opened: Date.now(), pending: Buffer.alloc(0), lastHeard: Date.now(), lastSent: Date.now(), lastPing: Date.now() };
    // The first ping waits a period: a new link's first round trips carry the initial sync (whole documents),
    // and one slow first sample would throw a fresh coordinate far off (the median filter has nothing to weigh it by).
    this.links.add(link);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(link, chunk));
    socket.on('error', (err) => this.opts.log?.debug('gossip link error', { member: this.opts.member, peer: member, error: err.message }));
    socket.on('close', () => {
      this.links.delete(link);
      // A link the peer drops before saying anything (it refuses us, e.g. we were revoked) is retried with backoff, not every round.
      if (outbound && !this.stopped && !link.heard) this.backOff(member);
      else if (outbound) this.backoff.delete(member);
      this.emit('link', member, 'close');
    });
    this.emit('link', member, 'open');
    this.opts.log?.debug('gossip link open', { member: this.opts.member, peer: member, outbound });
    this.announceEpoch(link);
    this.flush(link);
  }

  private receive(link: Link, chunk: Buffer): void {
    link.heard = true;
    link.lastHeard = Date.now();
    link.pending = link.pending.length ? Buffer.concat([link.pending, chunk]) : chunk;
    while (link.pending.length >= 4) {
      const word = link.pending.readUInt32BE(0);
      const control = word >= CONTROL;
      const size = control ? word - CONTROL : word;
      if (size > MAX_FRAME) {
        this.opts.log?.warn('gossip frame too large; closing', { member: this.opts.member, peer: link.member, size });
        link.socket.destroy();
        return;
      }
      if (link.pending.length < 4 + size) return;
      const message = link.pending.subarray(4, 4 + size);
      link.pending = link.pending.subarray(4 + size);
      this.stats.bytesReceived += 4 + size;
      if (control) {
        this.control(link, message);
        continue;
      }
      if (size === 0 || !this.sameEpochAs(link)) continue; // keepalive; or a message from another epoch's history
      this.stats.messagesReceived++;
      const before = this.doc;
      const bytes = new Uint8Array(message);
      // Read before the message is applied: the old document object is outdated afterwards.
      const beforeHeads = A.getHeads(before);
      let changed = false;
      try {
        // Changes are taken in, then every signed value they added is checked; a forgery rolls the document
        // back to where it was (a fork at the old heads: cheap only when needed, unlike copying every time).
        const next = link.sync.incoming(before, bytes);
        changed = !sameHeadList(beforeHeads, A.getHeads(next));
        const t0 = performance.now();
        const forged = changed ? this.trust.rejected(next, beforeHeads) : [];
        if (changed) {
          this.stats.checked++;
          this.stats.checkMs += performance.now() - t0;
        }
        if (forged.length) {
          this.doc = A.clone(A.view(next, beforeHeads), { actor: A.getActorId(next) });
          this.stats.forged++;
          this.quarantine.set(link.member, Date.now() + QUARANTINE_MS);
          this.opts.log?.warn('gossip peer sent values it may not write; message refused, peer quarantined', { member: this.opts.member, peer: link.member, reasons: forged.slice(0, 5), quarantineSeconds: QUARANTINE_MS / 1000 });
          this.emit('refused', `${link.member}: ${forged[0]}`);
          link.socket.destroy();
          return;
        }
        this.doc = next;
      } catch (e) {
        this.opts.log?.warn('gossip message rejected; closing', { member: this.opts.member, peer: link.member, error: (e as Error).message });
        link.socket.destroy();
        return;
      }
      if (changed) {
        this.settleAdoption();
        this.emit('change', this.doc);
        this.flushAll();
      } else {
        this.flush(link);
      }
    }
  }

  /** A ping each pingEveryMs on every link (one in flight per link; one unanswered that long counts as lost). */
  private pingAll(): void {
    if (!this.opts.coordinates) return;
    const every = this.opts.pingEveryMs ?? 2000;
    const now = Date.now();
    for (const link of this.links) {
      if (now - link.lastPing < every) continue;
      link.lastPing = now;
      link.ping = { id: ++this.pingId, sent: process.hrtime.bigint() };
      this.sendControl(link, { ping: link.ping.id });
    }
  }

  private control(link: Link, message: Buffer): void {
    let c: Control;
    try {
      c = JSON.parse(message.toString('utf8')) as Control;
    } catch {
      this.opts.log?.warn('gossip control frame unreadable; closing', { member: this.opts.member, peer: link.member });
      link.socket.destroy();
      return;
    }
    if ('ping' in c) {
      const coordinate = this.opts.coordinates?.own();
      this.sendControl(link, coordinate ? { pong: c.ping, coordinate } : { pong: c.ping });
    } else if ('epoch' in c) {
      this.peerEpoch(link, c);
    } else if ('pong' in c && link.ping?.id === c.pong) {
      const rtt = Number(process.hrtime.bigint() - link.ping.sent) / 1e9;
      link.ping = undefined;
      this.stats.rttSamples++;
      if (c.coordinate) this.opts.coordinates?.sample(link.member, c.coordinate, rtt);
    }
  }

  private sendControl(link: Link, c: Control): void {
    if (link.socket.destroyed || !link.socket.writable) return;
    const body = Buffer.from(JSON.stringify(c));
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32BE(CONTROL + body.length, 0);
    frame.set(body, 4);
    this.stats.bytesSent += frame.length;
    link.lastSent = Date.now();
    link.socket.write(frame);
  }

  /** Closes links silent for linkTimeoutMs; sends an empty frame on links idle for a third of it. */
  private keepalive(): void {
    const timeout = this.opts.linkTimeoutMs ?? 3000;
    const now = Date.now();
    for (const link of this.links) {
      if (now - link.lastHeard > timeout) {
        this.opts.log?.debug('gossip link silent; closing', { member: this.opts.member, peer: link.member, silentMs: now - link.lastHeard });
        link.socket.destroy();
      } else if (now - link.lastSent >= timeout / 3 && link.socket.writable) {
        this.stats.bytesSent += 4;
        link.lastSent = now;
        link.socket.write(Buffer.alloc(4)); // length 0
      }
    }
  }

  /**
   * Offers the document to every link, once per turn of the event loop: a burst of incoming messages (a healed
   * partition, a new link's initial sync) would otherwise run the sync protocol on every link for each message.
   */
  private flushAll(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    setImmediate(() => {
      this.flushPending = false;
      if (this.stopped) return;
      for (const link of this.links) this.flush(link);
    });
  }

  private flush(link: Link): void {
    if (link.socket.destroyed || !link.socket.writable || !this.sameEpochAs(link)) return;
    const message = link.sync.outgoing(this.doc);
    if (!message) return;
    const frame = Buffer.allocUnsafe(4 + message.length);
    frame.writeUInt32BE(message.length, 0);
    frame.set(message, 4);
    this.stats.bytesSent += frame.length;
    this.stats.messagesSent++;
    link.lastSent = Date.now();
    link.socket.write(frame);
  }

  // ---- Epochs (epochs.ts): the link handshake, moving to a peer's epoch, proposing and executing a cut.

  /** The epoch of this node's history (the one being adopted, while it arrives). */
  epoch(): EpochId {
    return this.adopting?.to ?? epochOf(this.doc);
  }

  /** Taking a peer's epoch whose history has not arrived yet: the document is empty meanwhile. */
  isAdopting(): boolean {
    return this.adopting !== undefined;
  }

  private sameEpochAs(link: Link): boolean {
    return link.peerEpoch !== undefined && sameEpoch(link.peerEpoch, this.epoch());
  }

  private announceEpoch(link: Link): void {
    const e = this.epoch();
    this.sendControl(link, { epoch: e.n, cut: e.cut });
  }

  private peerEpoch(link: Link, c: { epoch: number; cut: string[] }): void {
    const theirs = { n: c.epoch, cut: c.cut };
    if (!isEpoch(theirs)) {
      this.opts.log?.warn('gossip epoch frame malformed; closing', { member: this.opts.member, peer: link.member });
      link.socket.destroy();
      return;
    }
    link.peerEpoch = theirs;
    link.sync.reset(); // what we knew of the peer belonged to the history it announced before
    if (this.adopting && theirs.n > this.adopting.to.n) {
      this.adopting.to = theirs; // the fleet moved on while our copy was arriving: take the newer epoch instead
      this.epochMoved();
      return;
    }
    const act = this.adopting ? { action: sameEpoch(this.adopting.to, theirs) ? 'sync' : 'wait' } as const : onPeerEpoch(this.doc, this.opts.member, theirs);
    if (act.action === 'sync') this.flush(link);
    else if (act.action === 'compact') this.moveTo(act.to, `peer ${link.member} is at epoch ${act.to.n}`);
    else if (act.action === 'adopt') {
      const { doc, own } = adopt(this.doc);
      this.doc = doc;
      this.adopting = { to: act.to, own, deferred: [] };
      this.opts.log?.info('gossip adopting the fleet\'s epoch (this document never met the fleet)', { member: this.opts.member, peer: link.member, epoch: act.to.n });
      this.epochMoved();
    } else if (act.action === 'refuse') {
      this.opts.log?.error('gossip peer at another epoch; not syncing with it', { member: this.opts.member, peer: link.member, epoch: this.epoch().n, peerEpoch: theirs.n, reason: act.reason });
    }
  }

  /** The adopted epoch's history has arrived: our own writes (and those made meanwhile) go on top of it. */
  private settleAdoption(): void {
    const a = this.adopting;
    if (!a || !sameEpoch(epochOf(this.doc), a.to)) return;
    this.adopting = undefined;
    let doc = reapply(this.doc, a.own);
    for (const fn of a.deferred) doc = fn(doc);
    this.doc = doc;
    this.opts.log?.info('gossip epoch adopted', { member: this.opts.member, epoch: a.to.n });
    this.emit('epoch', a.to);
  }

  private moveTo(e: EpochId, why: string): void {
    const changesBefore = A.stats(this.doc).numChanges;
    try {
      this.doc = compactTo(this.doc, e);
    } catch (err) {
      // Not expected (the cut is held, values are strings and numbers): stay at this epoch, sync with no one past it.
      this.opts.log?.error('fleet document could not move to a new epoch; not syncing with agents past it', { member: this.opts.member, epoch: e.n, error: (err as Error).message });
      return;
    }
    this.opts.log?.info('fleet document history truncated: new epoch', { member: this.opts.member, epoch: e.n, cut: e.cut, why, changesBefore, changesAfter: A.stats(this.doc).numChanges });
    this.epochMoved();
    this.emit('epoch', e);
    this.emit('change', this.doc);
  }

  /** Every link starts over in the new history: announced first, so the peer knows what the messages after it are. */
  private epochMoved(): void {
    this.epochReadySince = undefined;
    for (const link of this.links) {
      link.sync.reset();
      this.announceEpoch(link);
    }
    this.flushAll();
  }

  /** Proposes, acknowledges and executes epochs (a node that speaks for its member only). */
  private epochTick(): void {
    const o = this.opts.epochs;
    if (o === false || this.opts.advertise === false || this.adopting) return;
    const now = Date.now();
    if (now - this.lastEpochCheck < (o?.checkEveryMs ?? 5000)) return;
    this.lastEpochCheck = now;
    const opts = { ...DEFAULT_EPOCH_OPTIONS, ...o };
    const me = this.opts.member;
    const signer = this.signer;
    if (!signer) return; // an operator's node is no member: it neither proposes nor acknowledges
    if (overThreshold(this.doc, o?.savedBytes?.() ?? 0, opts)) this.update((d) => propose(d, signer));
    const acked = acknowledge(this.doc, signer);
    if (acked !== this.doc) {
      o?.persist?.();
      this.update(() => acked);
    }
    const r = readiness(this.doc);
    if (!r.ready) {
      this.epochReadySince = undefined;
      if (r.proposal) this.opts.log?.debug('epoch proposal waiting for acknowledgements', { member: me, epoch: r.proposal.n, proposer: r.proposal.member, waitingFor: r.waitingFor });
      return;
    }
    const key = JSON.stringify(r.ready);
    if (this.epochReadySince?.key !== key) this.epochReadySince = { key, at: now };
    if (now - this.epochReadySince.at >= opts.graceMs) this.moveTo(r.ready, `proposal of ${r.proposal!.member} acknowledged by every member`);
  }
}

function sameHeadList(ha: A.Heads, hb: A.Heads): boolean {
  return ha.length === hb.length && ha.every((h, i) => h === hb[i]);
}
