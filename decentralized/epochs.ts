// Truncating the fleet document's history by epochs, without a consensus
// round (issue 16: "compaction keeps the document from growing without
// bound"). Pure: no I/O here; gossip.ts runs it on its rounds and links.
//
// An epoch is a fresh Automerge history that starts from the state of the
// previous one at a cut (a set of change hashes). Every agent builds the
// epoch's first change itself, deterministically from the state at the cut
// (actor id derived from the epoch number and the cut, time 0, keys written in
// sorted order), so all agents hold the byte-identical base change without
// sending it; then each re-applies, as one change of its own actor, whatever
// its current state holds beyond the cut (changes made or received after it:
// no accepted change is lost). Agents at different epochs never run the sync
// protocol with each other: their histories share no hash.
//
// Choosing the cut. All agents must compact at the same cut, or they would
// start unrelated epochs with the same number. Three kinds of keys, each
// written only by its member, make that so:
//   ec␟<member>  a proposal: {n, cut} — the epoch n it proposes and the heads
//                the proposer held when it wrote it. Written once per epoch,
//                only when the history since the last epoch exceeds the
//                threshold and the member holds no proposal for n yet.
//   ak␟<member>  an acknowledgement: {n, heads} — the heads the member held.
//                Written only while a proposal it holds is not covered by its
//                last ack, so a fleet below the threshold writes none.
//   en           the epoch this history is (written by the base change only).
// The winning proposal is the one of the smallest member name among those for
// n = current + 1. It is executed once every *current member* has an ack whose
// heads include it (then every member holds its cut). Current members: every
// member the document knows — an advertised address (pa␟), a status report
// (st␟), a coordinate (co␟), an ack or a proposal — minus the revoked (rv␟)
// (fleet-doc.ts currentMembers, also whose reports a FeatureConfig's status waits for).
// Why two agents that count each other as members always pick the same
// proposal: if Y executes P, Z acked P, so Z held P before Z executed; Z
// picks the smallest proposal it holds, so Z's pick ≤ P; symmetrically Y held
// Z's pick when it executed, so P ≤ Z's pick. A proposal made concurrently by
// a member that had not yet seen P is in that member's ack, so in the doc of
// whoever holds the ack.
//
// Limits (README, Decentralized mode): a member that never acknowledges
// (offline for good and not revoked) stops compaction for the whole fleet —
// the history then grows as before; a member that skipped an epoch (it can
// only have been excluded: revoked, or it lost its state) cannot sync with
// agents past it, unless its document never met the fleet (a new or reset
// agent), which then re-applies its state on top of the peer's epoch.
import { createHash } from 'node:crypto';
import * as A from '@automerge/automerge';
import { SEP, currentMembers, peerAddresses, textOf, type FleetDoc } from './fleet-doc.js';
import { seal, unseal, type Signer } from './fleet-signing.js';

export const EPOCH_KEY = 'en';
const PROPOSAL = 'ec';
const ACK = 'ak';
export const proposalKey = (member: string) => [PROPOSAL, member].join(SEP);
export const ackKey = (member: string) => [ACK, member].join(SEP);

/** An epoch: its number and the cut (sorted heads of the previous epoch) it started from. Epoch 0 has none. */
export interface EpochId {
  n: number;
  cut: string[];
}
export const EPOCH_ZERO: EpochId = { n: 0, cut: [] };

export const DEFAULT_EPOCH_OPTIONS = {
  /** Propose a new epoch when the history since the last one holds more changes than this… */
  maxChanges: 5000,
  /** …or its saved form more bytes than this. */
  maxBytes: 1024 * 1024,
  /** Execute a proposal this long after this agent first saw every member acknowledge it. */
  graceMs: 60_000,
};
export type EpochOptions = typeof DEFAULT_EPOCH_OPTIONS;

/** Epoch bookkeeping is per epoch: never copied into the next one. */
function bookkeeping(key: string): boolean {
  return key === EPOCH_KEY || key.startsWith(PROPOSAL + SEP) || key.startsWith(ACK + SEP);
}

function parse<T>(v: unknown, sealed = false): T | undefined {
  // Proposals and acks speak for one member: sealed with its agent key (fleet-signing.ts); the epoch marker is not.
  const text = sealed ? unseal(textOf(v)) : textOf(v);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined; // written by another version or damaged: treated as absent
  }
}

export const isEpoch = (e: unknown): e is EpochId =>
  typeof e === 'object' && e !== null && Number.isInteger((e as EpochId).n) && Array.isArray((e as EpochId).cut) && (e as EpochId).cut.every((h) => typeof h === 'string');

/** The epoch a document's history is (pure). */
export function epochOf(doc: FleetDoc): EpochId {
  const e = parse<EpochId>(doc[EPOCH_KEY]);
  return isEpoch(e) ? e : EPOCH_ZERO;
}

export const sameEpoch = (a: EpochId, b: EpochId) => a.n === b.n && a.cut.length === b.cut.length && a.cut.every((h, i) => h === b.cut[i]);

interface Proposal extends EpochId {
  member: string;
  text: string;
}

/** The proposals for the next epoch, smallest member name (the winner) first (pure). */
export function proposals(doc: FleetDoc): Proposal[] {
  const next = epochOf(doc).n + 1;
  const out: Proposal[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const [kind, member] = key.split(SEP);
    if (kind !== PROPOSAL || !member) continue;
    const p = parse<EpochId>(value, true);
    if (isEpoch(p) && p.n === next) out.push({ ...p, member, text: textOf(value)! });
  }
  return out.sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}

/** Whether `member`'s last ack covers proposal `p` (its heads include the change that wrote it). */
function acked(doc: A.Doc<FleetDoc>, member: string, p: Proposal): boolean {
  const ack = parse<{ n: number; heads: string[] }>(doc[ackKey(member)], true);
  if (!ack || ack.n !== epochOf(doc).n || !Array.isArray(ack.heads) || !A.hasHeads(doc, ack.heads)) return false;
  // Proposals are written once and never changed: the same value at the ack's heads is the same write.
  return textOf(A.view(doc, ack.heads)[proposalKey(p.member)]) === p.text;
}

/** The history since the epoch began is over the threshold (pure). */
export function overThreshold(doc: A.Doc<FleetDoc>, savedBytes: number, o: Pick<EpochOptions, 'maxChanges' | 'maxBytes'>): boolean {
  return A.stats(doc).numChanges > o.maxChanges || savedBytes > o.maxBytes;
}

/** `signer`'s member proposes the next epoch at the heads it holds; the same document when a proposal is already known. */
export function propose(doc: A.Doc<FleetDoc>, signer: Signer): A.Doc<FleetDoc> {
  const member = memberOf(signer);
  if (proposals(doc).length > 0 || !currentMembers(doc).has(member)) return doc;
  const p: EpochId = { n: epochOf(doc).n + 1, cut: [...A.getHeads(doc)].sort() };
  const text = seal(signer, proposalKey(member), JSON.stringify(p));
  return A.change(doc, { message: `propose epoch ${p.n}` }, (d) => {
    d[proposalKey(member)] = new A.ImmutableString(text);
  });
}

function memberOf(signer: Signer): string {
  if (!signer.member) throw new Error('epoch proposals and acknowledgements are written by a member\'s agent');
  return signer.member;
}

/**
 * `signer`'s member acknowledges the heads it holds, if a proposal it holds is not covered yet; else the same
 * document. Signed: a forged ack would let the fleet cut history a member does not hold.
 */
export function acknowledge(doc: A.Doc<FleetDoc>, signer: Signer): A.Doc<FleetDoc> {
  const member = memberOf(signer);
  const pending = proposals(doc);
  if (pending.length === 0 || pending.every((p) => acked(doc, member, p))) return doc;
  const ack = { n: epochOf(doc).n, heads: [...A.getHeads(doc)].sort() };
  const text = seal(signer, ackKey(member), JSON.stringify(ack));
  return A.change(doc, { message: `ack epoch ${ack.n + 1}` }, (d) => {
    d[ackKey(member)] = new A.ImmutableString(text);
  });
}

export interface Readiness {
  /** The winning proposal's epoch, when every current member has acknowledged it. */
  ready?: EpochId;
  /** Members whose ack of the winning proposal is missing (what blocks it). */
  waitingFor: string[];
  proposal?: EpochId & { member: string };
}

/** Whether the next epoch can start, and who it waits for (pure). */
export function readiness(doc: A.Doc<FleetDoc>): Readiness {
  const winner = proposals(doc)[0];
  if (!winner) return { waitingFor: [] };
  const waitingFor = [...currentMembers(doc)].filter((m) => !acked(doc, m, winner)).sort();
  const proposal = { n: winner.n, cut: winner.cut, member: winner.member };
  if (waitingFor.length > 0 || !A.hasHeads(doc, winner.cut)) return { waitingFor, proposal };
  return { ready: { n: winner.n, cut: winner.cut }, waitingFor, proposal };
}

/** The actor id of epoch `e`'s base change: the same on every agent. */
export function epochActor(e: EpochId): string {
  return createHash('sha256').update(`fedfeat-epoch\n${e.n}\n${e.cut.join(',')}`).digest('hex').slice(0, 32);
}

type Value = FleetDoc[string];

/** A value as written into a new history: ImmutableStrings and numbers copied verbatim (signed values stay valid). */
function copy(v: unknown): Value {
  if (A.isImmutableString(v)) return new A.ImmutableString(v.toString());
  if (typeof v === 'number') return v;
  const text = textOf(v);
  if (text !== undefined) return new A.ImmutableString(text);
  // Only ImmutableStrings and numbers are ever written (fleet-doc.ts); anything else would not survive an epoch.
  throw new Error(`fleet document value of type ${typeof v} cannot be carried into a new epoch`);
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  const ta = textOf(a);
  return ta !== undefined && ta === textOf(b);
}

function stateEntries(doc: FleetDoc): [string, unknown][] {
  return Object.keys(doc).filter((k) => !bookkeeping(k)).sort().map((k) => [k, doc[k]]);
}

/** Epoch `e`'s base: the state at `e.cut` of `doc` (the previous epoch), as one deterministic change. */
export function epochBase(doc: A.Doc<FleetDoc>, e: EpochId): A.Doc<FleetDoc> {
  if (!A.hasHeads(doc, e.cut)) throw new Error(`the document does not hold the cut of epoch ${e.n}`);
  const at = A.view(doc, e.cut);
  const entries: [string, Value][] = [[EPOCH_KEY, new A.ImmutableString(JSON.stringify({ n: e.n, cut: e.cut }))]];
  for (const [k, v] of stateEntries(at)) entries.push([k, copy(v)]);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  // time 0 and a fixed message: nothing in the change depends on who builds it or when.
  return A.change(A.init<FleetDoc>({ actor: epochActor(e) }), { message: `epoch ${e.n}`, time: 0 }, (d) => {
    for (const [k, v] of entries) d[k] = v;
  });
}

/** The writes that turn state `from` into state `to` (bookkeeping keys aside). */
function difference(from: FleetDoc, to: FleetDoc): { set: [string, Value][]; remove: string[] } {
  const set: [string, Value][] = [];
  for (const [k, v] of stateEntries(to)) if (!same(from[k], v)) set.push([k, copy(v)]);
  const remove = stateEntries(from).map(([k]) => k).filter((k) => !(k in to));
  return { set, remove };
}

/**
 * Moves `doc` to epoch `e`: the deterministic base, then what the current state
 * holds beyond the cut as one change of `doc`'s own actor. Throws when `doc`
 * does not hold the cut or is not at epoch e.n - 1.
 */
export function compactTo(doc: A.Doc<FleetDoc>, e: EpochId): A.Doc<FleetDoc> {
  const from = epochOf(doc).n;
  if (e.n !== from + 1) throw new Error(`cannot move from epoch ${from} to epoch ${e.n}: epochs are taken one at a time`);
  const base = epochBase(doc, e);
  let next = A.clone(base, { actor: A.getActorId(doc) });
  const { set, remove } = difference(A.view(doc, e.cut), doc);
  if (set.length || remove.length) {
    next = A.change(next, { message: `epoch ${e.n}: changes after the cut` }, (d) => {
      for (const [k, v] of set) d[k] = v;
      for (const k of remove) delete d[k];
    });
  }
  return next;
}

/**
 * A document that never met the fleet (a new agent, one that lost its state,
 * or one restarted before it reached any peer — a restart is a new actor) has
 * nothing another agent must see merged: it can take a peer's epoch by
 * starting empty and re-applying its state once the peer's history has
 * arrived (adopt, then reapply). Never met the fleet: no change by another
 * actor, or no other member's advertised address (every agent advertises
 * itself first thing, so one synced with any agent holds its address).
 */
export function canAdopt(doc: A.Doc<FleetDoc>, member: string): boolean {
  if (epochOf(doc).n !== 0) return false;
  if ([...peerAddresses(doc).keys()].every((m) => m === member)) return true;
  if (A.stats(doc).numActors > 1) return false;
  const own = A.getActorId(doc);
  return A.getAllChanges(doc).every((c) => A.decodeChange(c).actor === own);
}

/** The state to re-apply after adopting a peer's epoch, and the empty document to receive it into. */
export function adopt(doc: A.Doc<FleetDoc>): { doc: A.Doc<FleetDoc>; own: Map<string, Value> } {
  return { doc: A.init<FleetDoc>({ actor: A.getActorId(doc) }), own: new Map(stateEntries(doc).map(([k, v]) => [k, copy(v)])) };
}

/** Re-applies an adopting agent's own writes once the epoch's history has arrived; the same document if nothing differs. */
export function reapply(doc: A.Doc<FleetDoc>, own: Map<string, Value>): A.Doc<FleetDoc> {
  const set = [...own].filter(([k, v]) => !same(doc[k], v));
  if (set.length === 0) return doc;
  return A.change(doc, { message: 'own writes re-applied after adopting an epoch' }, (d) => {
    for (const [k, v] of set) d[k] = v;
  });
}

/** What an agent does about a peer's epoch (pure; gossip.ts acts on it). */
export type PeerEpochAction =
  | { action: 'sync' }
  /** The peer is behind: it moves when it reads our epoch; nothing is exchanged until then. */
  | { action: 'wait' }
  /** We are one epoch behind and hold the peer's cut. */
  | { action: 'compact'; to: EpochId }
  /** Our document holds only our own writes: take the peer's epoch. */
  | { action: 'adopt'; to: EpochId }
  | { action: 'refuse'; reason: string };

export function onPeerEpoch(doc: A.Doc<FleetDoc>, member: string, theirs: EpochId): PeerEpochAction {
  const mine = epochOf(doc);
  if (sameEpoch(mine, theirs)) return { action: 'sync' };
  if (theirs.n < mine.n) return { action: 'wait' };
  if (theirs.n === mine.n) return { action: 'refuse', reason: `both at epoch ${mine.n} but from different cuts (${mine.cut.join(',')} here, ${theirs.cut.join(',')} there): the proposal rule was broken` };
  if (canAdopt(doc, member)) return { action: 'adopt', to: theirs };
  if (theirs.n === mine.n + 1 && A.hasHeads(doc, theirs.cut)) return { action: 'compact', to: theirs };
  return {
    action: 'refuse',
    reason: theirs.n > mine.n + 1
      ? `the peer is at epoch ${theirs.n}, more than one past ours (${mine.n}): this agent missed a whole epoch (was it revoked, or did it lose its state?)`
      : `the peer is at epoch ${theirs.n} from a cut this document does not hold (it never acknowledged it: was it revoked or excluded?)`,
  };
}
