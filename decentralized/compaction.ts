// Keeping the fleet document bounded.
//
// What grows: (1) the state — deleted FeatureConfigs keep their spec leaves
// (a concurrent update must be able to bring them back whole, fleet-doc.ts),
// and removed members keep their status reports; (2) the history — Automerge
// keeps every operation.
//
// (1) is compacted here: once a FeatureConfig has been deleted for longer
// than the retention window (default 24 h, far longer than any partition we
// expect to heal), its leaves, change counts, tombstones and every member's
// reports of it are removed; revoked members' reports likewise. The only
// cost: an update made on a member cut off for longer than the window, to a
// FeatureConfig deleted meanwhile, comes back with only the fields it wrote.
//
// (2) is truncated by epochs (epochs.ts). It cannot simply be cut here:
// Automerge's sync protocol finds what a peer lacks by change hashes, and
// every change names the hashes it depends on, so a member that dropped old
// changes could not merge a peer's change built on them. Instead, once every
// member has acknowledged a proposed cut, each agent starts a new history
// from the state at that cut (built identically everywhere) plus what it
// holds beyond it, and agents sync only with peers at the same epoch. Until
// then the history is stored in Automerge's compressed columnar form
// (`save`), where a change to one field costs a few bytes; the benchmark
// (benchmarks/decentralized.ts) measures both.
import * as A from '@automerge/automerge';
import { SEP, configViews, textOf, deletedTimeKey, revokedMembers, type FleetDoc } from './fleet-doc.js';

export const DEFAULT_RETENTION_MS = 24 * 3600_000;

/** The keys compaction would remove now (pure). */
export function compactableKeys(doc: FleetDoc, now: Date, retentionMs = DEFAULT_RETENTION_MS): string[] {
  const dead = new Set<string>();
  for (const view of configViews(doc).values()) {
    if (view.live) continue;
    const at = textOf(doc[deletedTimeKey(view.name)]);
    if (at !== undefined && now.getTime() - Date.parse(at) >= retentionMs) dead.add(view.name);
  }
  const revoked = revokedMembers(doc);
  return Object.keys(doc).filter((key) => {
    const [kind, a, b] = key.split(SEP);
    if (kind === 'st') return revoked.has(a ?? '') || dead.has(b ?? '');
    if (kind === 'co') return revoked.has(a ?? ''); // a removed member's coordinate
    return (kind === 's' || kind === 'g' || kind === 'd' || kind === 'dt') && dead.has(a ?? '');
  });
}

/** Removes what compactableKeys names; the same document when nothing is due. */
export function compact(doc: A.Doc<FleetDoc>, now: Date, retentionMs = DEFAULT_RETENTION_MS): A.Doc<FleetDoc> {
  const keys = compactableKeys(doc, now, retentionMs);
  if (keys.length === 0) return doc;
  return A.change(doc, { message: `compact ${keys.length} keys` }, (d) => {
    for (const key of keys) delete d[key];
  });
}

/** The document as stored on disk: Automerge's compressed form, whole history. */
export const saveFleetDoc = (doc: A.Doc<FleetDoc>): Uint8Array => A.save(doc);

/** Loads a saved document under a fresh actor id (each agent process writes as its own actor). */
export function loadFleetDoc(bytes: Uint8Array, actor?: string): A.Doc<FleetDoc> {
  return actor ? A.load<FleetDoc>(bytes, { actor }) : A.load<FleetDoc>(bytes);
}
