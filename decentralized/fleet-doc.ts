// The fleet document: every member's agent holds one Automerge document with
// the fleet's FeatureConfigs and every member's status, and merges the
// others' copies (decentralized mode, issue 16). Pure: no I/O here.
//
// Layout. Everything lives in flat keys of the document's root map. Automerge
// resolves two concurrent assignments of the same key by keeping one, so
// nested maps created concurrently by two members (the same FeatureConfig
// applied on two members before they have met) would lose one side entirely;
// flat keys never create containers, so only genuinely equal fields compete.
//
//   s␟<name>␟<path…>  one spec leaf (JSON text): e.g. s␟gpu␟kubelet␟cpuManagerPolicy
//   g␟<name>␟<member> how many changes <member> has made to <name> (written only by <member>)
//   d␟<name>␟<member> a delete by <member>: the change count of <name> it had seen
//   st␟<member>␟<name> <member>'s status for <name> (JSON, signed by <member>'s agent)
//   rv␟<member>       <member> was removed from the fleet (JSON, signed by the fleet CA; gossip.ts refuses it)
//   pa␟<member>       where <member>'s agent listens for peers (signed by <member>'s agent)
//   co␟<member>       <member>'s network coordinate (JSON, signed by <member>'s agent)
//   ce␟<member>␟<fp>  <member>'s agent certificate, which the signatures are checked with
//   dt␟<name>         when <name> was last deleted (for compaction)
//   en, ec␟<member>, ak␟<member>  the history's epoch, epoch proposals and acknowledgements (epochs.ts)
//
// Merge rules (tested in tests/unit/decentralized/fleet-doc.test.ts):
// - Different fields: separate keys, so concurrent edits of different fields merge.
// - Same field: Automerge keeps the operation with the greater (Lamport counter,
//   actor id), identical on every replica, so all members pick the same winner.
//   It is not the later wall-clock write: members' clocks are not trusted.
// - Delete vs update: a delete records the change count it has seen; the
//   FeatureConfig exists while the fleet-wide change count (the sum of every
//   member's count) is greater than the largest count any delete has seen.
//   A delete therefore wins over every update it has seen and loses to an update
//   made concurrently (not yet seen by any deleting member): the FeatureConfig
//   comes back with its whole spec plus that update. Deletes keep the spec leaves
//   for exactly this reason; compaction drops them later (compaction.ts).
// - Status: keyed by member; only the member's own agent writes its keys, and
//   it signs them: a value another member forged is refused on the way in
//   (fleet-signing.ts), so no conflict is possible.
import * as A from '@automerge/automerge';
import type { FeatureConfigSpec } from '../api/featureconfig.js';
import { CA_KEY_ID, seal, unseal, type Signer } from './fleet-signing.js';

/**
 * Leaves are JSON text, so a string, an array and an empty object never look
 * alike. Stored as ImmutableString: a plain string would become a collaborative
 * Text object, an operation per character, merged character by character.
 */
export type FleetDoc = Record<string, A.ImmutableString | number>;

/** The text of a key, if it holds text. */
export function textOf(v: unknown): string | undefined {
  return A.isImmutableString(v) ? v.toString() : typeof v === 'string' ? v : undefined;
}
const imm = (s: string) => new A.ImmutableString(s);

export const SEP = '\u001f';
const SPEC = 's';
const GEN = 'g';
const DEL = 'd';
const STATUS = 'st';
const REVOKED = 'rv';
const DELETED_TIME = 'dt';
const ADDRESS = 'pa';
const COORDINATE = 'co';

export const specKey = (name: string, path: string[]) => [SPEC, name, ...path].join(SEP);
export const genKey = (name: string, member: string) => [GEN, name, member].join(SEP);
export const delKey = (name: string, member: string) => [DEL, name, member].join(SEP);
export const statusKey = (member: string, name: string) => [STATUS, member, name].join(SEP);
export const revokedKey = (member: string) => [REVOKED, member].join(SEP);
export const addressKey = (member: string) => [ADDRESS, member].join(SEP);
export const deletedTimeKey = (name: string) => [DELETED_TIME, name].join(SEP);
export const coordinateKey = (member: string) => [COORDINATE, member].join(SEP);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A spec as leaves, path → JSON text. Objects are descended into (so their
 * fields merge separately); arrays (e.g. matchExpressions) and empty objects
 * are single leaves: an array's items have no identity to merge by.
 */
export function specLeaves(spec: unknown, path: string[] = [], out = new Map<string, string>()): Map<string, string> {
  if (isPlainObject(spec) && Object.keys(spec).length > 0) {
    for (const [k, v] of Object.entries(spec)) {
      if (k.includes(SEP)) throw new Error(`spec field name ${JSON.stringify(k)} contains the reserved character U+001F`);
      if (v === undefined) continue;
      specLeaves(v, [...path, k], out);
    }
  } else if (path.length > 0) {
    out.set(JSON.stringify(path), JSON.stringify(spec));
  }
  return out;
}

/** The inverse of specLeaves. */
export function specFromLeaves(leaves: Iterable<[string[], string]>): FeatureConfigSpec {
  const spec: Record<string, Json> = {};
  // Sorted so a leaf's parent object is made before the leaf whatever order the map gives.
  for (const [path, text] of [...leaves].sort((a, b) => a[0].length - b[0].length)) {
    let node: Record<string, Json> = spec;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      // An empty-object leaf and a deeper leaf under it can coexist after a merge
      // (`calico: {}` on one member, `calico.poolCIDR` on another): the deeper one fills it.
      if (!isPlainObject(next)) node[seg] = {};
      node = node[seg] as Record<string, Json>;
    }
    const last = path[path.length - 1]!;
    const value = JSON.parse(text) as Json;
    if (isPlainObject(node[last]) && isPlainObject(value)) continue; // {} under existing fields
    node[last] = value;
  }
  return spec as FeatureConfigSpec;
}

function split(key: string): string[] {
  return key.split(SEP);
}

export interface ConfigView {
  name: string;
  spec: FeatureConfigSpec;
  /** Sum of every member's change count: grows with every accepted change anywhere. */
  generation: number;
  /** Largest change count any delete has seen (0: never deleted). */
  deletedAt: number;
  live: boolean;
}

/** Every FeatureConfig the document knows, live or deleted (pure). */
export function configViews(doc: FleetDoc): Map<string, ConfigView> {
  const leaves = new Map<string, [string[], string][]>();
  const gens = new Map<string, number>();
  const dels = new Map<string, number>();
  for (const [key, value] of Object.entries(doc)) {
    const [kind, name, ...rest] = split(key);
    if (name === undefined) continue;
    const text = textOf(value);
    if (kind === SPEC && text !== undefined) {
      const list = leaves.get(name) ?? [];
      list.push([rest, text]);
      leaves.set(name, list);
    } else if (kind === GEN && typeof value === 'number') {
      gens.set(name, (gens.get(name) ?? 0) + value);
    } else if (kind === DEL && typeof value === 'number') {
      dels.set(name, Math.max(dels.get(name) ?? 0, value));
    }
  }
  const out = new Map<string, ConfigView>();
  for (const name of new Set([...leaves.keys(), ...gens.keys(), ...dels.keys()])) {
    const generation = gens.get(name) ?? 0;
    const deletedAt = dels.get(name) ?? 0;
    out.set(name, { name, spec: specFromLeaves(leaves.get(name) ?? []), generation, deletedAt, live: generation > deletedAt });
  }
  return out;
}

/** The FeatureConfigs the fleet wants now, by name (pure). */
export function liveConfigs(doc: FleetDoc): Map<string, ConfigView> {
  return new Map([...configViews(doc)].filter(([, v]) => v.live));
}

function currentLeaves(doc: FleetDoc, name: string): Map<string, string> {
  const prefix = SPEC + SEP + name + SEP;
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(doc)) {
    const text = textOf(value);
    if (key.startsWith(prefix) && text !== undefined) out.set(JSON.stringify(key.slice(prefix.length).split(SEP)), text);
  }
  return out;
}

/**
 * The writes that turn the document's spec of `name` into `spec`: only leaves
 * whose text differs are set, leaves no longer present are removed (pure).
 */
export function specDiff(doc: FleetDoc, name: string, spec: FeatureConfigSpec): { set: Map<string, string>; remove: string[] } {
  const want = specLeaves(spec);
  const have = currentLeaves(doc, name);
  const set = new Map<string, string>();
  for (const [path, text] of want) if (have.get(path) !== text) set.set(path, text);
  const remove = [...have.keys()].filter((path) => !want.has(path));
  return { set, remove };
}

/**
 * `member` applied `spec` for `name` (created or changed it). Writes only the
 * changed leaves; returns the same document when nothing differs, so an
 * agent's own materialized objects coming back through its watch make no change.
 */
export function applySpec(doc: A.Doc<FleetDoc>, member: string, name: string, spec: FeatureConfigSpec): A.Doc<FleetDoc> {
  const view = configViews(doc).get(name);
  const { set, remove } = specDiff(doc, name, spec);
  if (view?.live && set.size === 0 && remove.length === 0) return doc;
  return A.change(doc, { message: `apply ${name} on ${member}` }, (d) => {
    for (const [path, text] of set) d[specKey(name, JSON.parse(path) as string[])] = imm(text);
    for (const path of remove) delete d[specKey(name, JSON.parse(path) as string[])];
    const g = genKey(name, member);
    d[g] = (typeof d[g] === 'number' ? (d[g] as number) : 0) + 1;
  });
}

/** `member` deleted `name`: the delete covers every change it has seen. No change when already deleted. */
export function deleteConfig(doc: A.Doc<FleetDoc>, member: string, name: string, now = new Date()): A.Doc<FleetDoc> {
  const view = configViews(doc).get(name);
  if (!view || !view.live) return doc;
  return A.change(doc, { message: `delete ${name} on ${member}` }, (d) => {
    d[delKey(name, member)] = view.generation;
    // When compaction may forget the deleted spec (compaction.ts); any member's clock will do.
    d[deletedTimeKey(name)] = imm(now.toISOString());
  });
}

/** What one member reports for one FeatureConfig (a ClusterFeatureStatus plus when and for which generation). */
export interface MemberReport {
  member: string;
  featureconfig: string;
  /** The FeatureConfig generation (fleet change count) the report is for. */
  generation: number;
  reachable?: boolean;
  /** false: the FeatureConfig's clusterSelector does not select this member (only its agent knows its labels); absent: selected. */
  selected?: boolean;
  features: { name: string; state: string; reason?: string; message?: string; lastTransitionTime?: string }[];
  updated: string;
}

/** The signer must speak for `member`: a value is signed by the member it is about. */
function own(signer: Signer, member: string, what: string): void {
  if (signer.member !== member) throw new Error(`${what} of ${member} can only be written by ${member}'s agent (signer: ${signer.member ?? signer.keyId})`);
}

/** `member` writes its own report, signed by its agent. */
export function writeStatus(doc: A.Doc<FleetDoc>, report: MemberReport, signer: Signer): A.Doc<FleetDoc> {
  own(signer, report.member, 'status');
  const key = statusKey(report.member, report.featureconfig);
  const before = unseal(textOf(doc[key]));
  // Same content apart from the timestamp: nothing to tell the fleet.
  if (before !== undefined && sameReport(before, report)) return doc;
  const text = seal(signer, key, JSON.stringify(report));
  return A.change(doc, { message: `status ${report.featureconfig} of ${report.member}` }, (d) => {
    d[key] = imm(text);
  });
}

function sameReport(text: string, report: MemberReport): boolean {
  const { updated: _a, ...old } = JSON.parse(text) as MemberReport;
  const { updated: _b, ...now } = report;
  return JSON.stringify(old) === JSON.stringify(now);
}

/** `member` removes its reports of FeatureConfigs that no longer exist. */
export function dropStatus(doc: A.Doc<FleetDoc>, member: string, featureconfig: string): A.Doc<FleetDoc> {
  const key = statusKey(member, featureconfig);
  if (!(key in doc)) return doc;
  return A.change(doc, (d) => {
    delete d[key];
  });
}

/** Every member's reports (pure). */
export function reports(doc: FleetDoc): MemberReport[] {
  const out: MemberReport[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const [kind] = split(key);
    const text = unseal(textOf(value));
    if (kind === STATUS && text !== undefined) out.push(JSON.parse(text) as MemberReport);
  }
  return out.sort((a, b) => a.featureconfig.localeCompare(b.featureconfig) || a.member.localeCompare(b.member));
}

/** A member's network coordinate as its agent last published it (milliseconds, as ClusterCoordinate shows them). */
export interface PublishedCoordinate {
  member: string;
  coordinate: { vec: number[]; height: number; adjustment: number; error: number };
  /** Peers the agent has timed round trips to. */
  samples: number;
  updated: string;
}

/**
 * `member` publishes its own coordinate; only the member's agent calls this for that member (like its status).
 * The agent decides how often (coordinates/publish-policy.ts): every write stays in the document's history.
 */
export function writeCoordinate(doc: A.Doc<FleetDoc>, c: PublishedCoordinate, signer: Signer): A.Doc<FleetDoc> {
  own(signer, c.member, 'the coordinate');
  const text = seal(signer, coordinateKey(c.member), JSON.stringify(c));
  return A.change(doc, { message: `coordinate of ${c.member}` }, (d) => {
    d[coordinateKey(c.member)] = imm(text);
  });
}

/** Every member's published coordinate (pure); a malformed entry is skipped. */
export function fleetCoordinates(doc: FleetDoc): Map<string, PublishedCoordinate> {
  const out = new Map<string, PublishedCoordinate>();
  for (const [key, value] of Object.entries(doc)) {
    const [kind, member] = split(key);
    const text = unseal(textOf(value));
    if (kind !== COORDINATE || !member || text === undefined) continue;
    try {
      const c = JSON.parse(text) as PublishedCoordinate;
      if (c.member === member && Array.isArray(c.coordinate?.vec)) out.set(member, c);
    } catch {
      // written by another version or damaged: that member's problem, the others still count
    }
  }
  return out;
}

export interface Revocation {
  member: string;
  by: string;
  at: string;
  reason?: string;
}

/** Removes `member` from the fleet: peers refuse its certificate from then on (peer-auth.ts). Signed by the fleet CA. */
export function revokeMember(doc: A.Doc<FleetDoc>, revocation: Revocation, ca: Signer): A.Doc<FleetDoc> {
  if (ca.keyId !== CA_KEY_ID) throw new Error('a revocation is signed by the fleet CA, not by a member');
  if (revokedKey(revocation.member) in doc) return doc;
  const text = seal(ca, revokedKey(revocation.member), JSON.stringify(revocation));
  return A.change(doc, { message: `revoke ${revocation.member}` }, (d) => {
    d[revokedKey(revocation.member)] = imm(text);
  });
}

/**
 * The fleet's current members as the document knows them (there is no other registry): every member that
 * wrote a key only it writes — an address, a report, a coordinate, an epoch proposal or acknowledgement
 * (epochs.ts) — minus revoked ones (pure). An epoch's cut waits for these members' acknowledgements, and a
 * FeatureConfig's status for their reports (fleet-status.ts).
 */
export function currentMembers(doc: FleetDoc): Set<string> {
  const out = new Set<string>();
  for (const key of Object.keys(doc)) {
    const [kind, member] = split(key);
    if (member && (kind === ADDRESS || kind === STATUS || kind === COORDINATE || kind === 'ec' || kind === 'ak')) out.add(member);
  }
  for (const m of revokedMembers(doc)) out.delete(m);
  return out;
}

export function revokedMembers(doc: FleetDoc): Set<string> {
  const out = new Set<string>();
  for (const key of Object.keys(doc)) {
    const [kind, member] = split(key);
    if (kind === REVOKED && member) out.add(member);
  }
  return out;
}

/** A new, empty fleet document for one agent; `actor` must be unique to this process. */
export function newFleetDoc(actor?: string): A.Doc<FleetDoc> {
  return actor ? A.init<FleetDoc>({ actor }) : A.init<FleetDoc>();
}

/** `member` tells the fleet where its agent listens (host:port), so peers need only one seed address. Signed. */
export function advertise(doc: A.Doc<FleetDoc>, member: string, address: string, signer: Signer): A.Doc<FleetDoc> {
  own(signer, member, 'the address');
  if (unseal(textOf(doc[addressKey(member)])) === address) return doc;
  const text = seal(signer, addressKey(member), address);
  return A.change(doc, { message: `address of ${member}` }, (d) => {
    d[addressKey(member)] = imm(text);
  });
}

/** Every member's advertised address (pure). */
export function peerAddresses(doc: FleetDoc): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(doc)) {
    const [kind, member] = split(key);
    const text = unseal(textOf(value));
    if (kind === ADDRESS && member && text) out.set(member, text);
  }
  return out;
}

/**
 * A local edit made on top of what this agent last materialized (`base`):
 * only the leaves that differ between `base` and `spec` are written, so fields
 * the fleet changed meanwhile (not yet materialized here) are not reverted by
 * the stale copy. Without a base (created locally) the whole spec is applied.
 */
export function applyLocalEdit(doc: A.Doc<FleetDoc>, member: string, name: string, base: FeatureConfigSpec | undefined, spec: FeatureConfigSpec): A.Doc<FleetDoc> {
  const view = configViews(doc).get(name);
  if (!base || !view?.live) return applySpec(doc, member, name, spec);
  const before = specLeaves(base);
  const after = specLeaves(spec);
  const merged = new Map(specLeaves(view.spec));
  for (const [path, text] of after) if (before.get(path) !== text) merged.set(path, text);
  for (const path of before.keys()) if (!after.has(path)) merged.delete(path);
  return applySpec(doc, member, name, specFromLeaves([...merged].map(([p, t]) => [JSON.parse(p) as string[], t])));
}
