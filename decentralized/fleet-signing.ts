// Who may say what in the fleet document. Any member may write the fleet's
// FeatureConfigs (as `kubectl apply` on any member does), but some values
// speak for one member only: its status reports, where its agent listens,
// its network coordinate — and a revocation speaks for the fleet. Those are
// signed, so a member holding a valid agent certificate cannot forge them:
//
//   ce␟<member>␟<fp>  <member>'s agent certificate (PEM): checked against the
//                     fleet CA, CN = member; fp = its SHA-256 fingerprint
//   st/pa/co␟<member>… a sealed value: {"p": payload, "k": fp, "s": signature}
//                     made with the key of the certificate ce␟<member>␟<fp>
//   rv␟<member>       sealed with the fleet CA's key ("k": "fleet-ca"): only
//                     whoever holds the CA (`fedfeat unjoin`) removes members
//
// The signature covers the key as well as the payload, so a value cannot be
// moved to another member's or another FeatureConfig's key.
//
// Signed values are checked where they enter an agent (gossip.ts, before a
// peer's changes are taken in, every concurrent value of a key included): a
// message carrying a value that fails is refused whole and the peer
// disconnected. So an agent's own document holds only genuine values, and
// reading needs no check. What signing cannot stop: a member deleting another
// member's value (compaction deletes values legitimately; the owner writes
// its value again) or writing an older genuine value of it back (a replay;
// the owner's next write replaces it). Validity periods are not checked here:
// a value signed while its certificate was valid stays genuine, and a check
// against the clock would make two honest agents refuse each other's history
// (live authentication is TLS's job, peer-auth.ts).
import { X509Certificate, createPrivateKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import * as A from '@automerge/automerge';
import { agentIdentity, certFields } from './peer-auth.js';
import type { FleetDoc } from './fleet-doc.js';

const SEP = '\u001f';
export const CA_KEY_ID = 'fleet-ca';
const DOMAIN = 'fedfeat-fleet-v1';

/** Writes values that speak for one member (its agent) or for the fleet (the CA holder). */
export interface Signer {
  /** The member the signer speaks for; undefined for the fleet CA. */
  member?: string;
  /** Names the key: the certificate's fingerprint, or CA_KEY_ID. */
  keyId: string;
  /** The agent certificate (PEM), written into the document so others can check. */
  certificate?: string;
  sign(data: Buffer): string;
}

/**
 * Names a member's certificate in the document: the first 64 bits of its SHA-256 fingerprint. Only picks
 * among one member's certificates (renewals); a forger gains nothing from a collision, because the
 * signature must still verify with the certificate found, issued by the fleet CA to that member.
 */
export function fingerprint(cert: X509Certificate): string {
  return cert.fingerprint256.replace(/:/g, '').toLowerCase().slice(0, 16);
}

const signed = (key: string, payload: string) => Buffer.from(`${DOMAIN}\n${key}\n${payload}`);
const signWith = (key: KeyObject) => (data: Buffer) => cryptoSign('sha256', data, key).toString('base64');

/** The signer of an agent: its certificate's key (the same pair TLS uses). */
export function agentSigner(credentials: { cert: string; key: string }): Signer {
  const cert = new X509Certificate(credentials.cert);
  const id = agentIdentity(certFields(cert));
  if (!id.ok) throw new Error(`cannot sign fleet values: ${id.reason}`);
  return { member: id.member, keyId: fingerprint(cert), certificate: credentials.cert, sign: signWith(createPrivateKey(credentials.key)) };
}

/** The fleet CA's signer (revocations); only `fedfeat unjoin` / `agent revoke` hold the CA key. */
export function caSigner(ca: { key: string }): Signer {
  return { keyId: CA_KEY_ID, sign: signWith(createPrivateKey(ca.key)) };
}

interface Sealed {
  p: string;
  k: string;
  s: string;
}

/** The text stored under `key`: payload, key id and signature. */
export function seal(signer: Signer, key: string, payload: string): string {
  return JSON.stringify({ p: payload, k: signer.keyId, s: signer.sign(signed(key, payload)) } satisfies Sealed);
}

function parseSealed(text: string): Sealed | undefined {
  try {
    const v = JSON.parse(text) as Partial<Sealed>;
    return typeof v.p === 'string' && typeof v.k === 'string' && typeof v.s === 'string' ? (v as Sealed) : undefined;
  } catch {
    return undefined;
  }
}

/** The payload of a sealed value (the document's values passed the check on the way in), or undefined. */
export function unseal(text: string | undefined): string | undefined {
  return text === undefined ? undefined : parseSealed(text)?.p;
}

export const certificateKey = (member: string, keyId: string) => ['ce', member, keyId].join(SEP);

/** `signer`'s agent publishes its certificate (once per certificate). */
export function publishCertificate(doc: A.Doc<FleetDoc>, signer: Signer): A.Doc<FleetDoc> {
  if (!signer.member || !signer.certificate) return doc;
  const key = certificateKey(signer.member, signer.keyId);
  if (key in doc) return doc;
  return A.change(doc, { message: `certificate of ${signer.member}` }, (d) => {
    d[key] = new A.ImmutableString(signer.certificate!);
  });
}

/**
 * Who must have signed a key's value: a member, the fleet CA, or nobody (any member may write it); the epoch
 * marker ("en", epochs.ts) is written by nobody after an epoch's first change.
 */
export function signerOf(key: string): { member: string } | 'fleet-ca' | 'certificate' | 'epoch' | undefined {
  const [kind, member] = key.split(SEP);
  if (kind === 'rv') return 'fleet-ca';
  if (kind === 'ce') return 'certificate';
  if (kind === 'en') return 'epoch';
  // Status, address, coordinate, and an epoch proposal or acknowledgement (a forged ack could cut history a member lacks).
  if ((kind === 'st' || kind === 'pa' || kind === 'co' || kind === 'ec' || kind === 'ak') && member) return { member };
  return undefined;
}

/** Checks signed values against the fleet CA; remembers certificates it has checked. */
export class FleetTrust {
  private readonly ca: X509Certificate;
  private readonly certs = new Map<string, X509Certificate | string>();

  constructor(caPem: string) {
    this.ca = new X509Certificate(caPem);
  }

  /** Why the certificate stored under ce␟member␟keyId is not that member's agent certificate, or undefined when it is. */
  private certificate(member: string, keyId: string, pem: string): X509Certificate | string {
    const cacheKey = `${member}${SEP}${keyId}${SEP}${pem}`;
    const known = this.certs.get(cacheKey);
    if (known) return known;
    let verdict: X509Certificate | string;
    try {
      const cert = new X509Certificate(pem);
      const id = agentIdentity(certFields(cert));
      if (!cert.checkIssued(this.ca) || !cert.verify(this.ca.publicKey)) verdict = `certificate of ${member} is not issued by the fleet CA`;
      else if (!id.ok) verdict = id.reason;
      else if (id.member !== member) verdict = `certificate under ${member}'s key names ${id.member}`;
      else if (fingerprint(cert) !== keyId) verdict = `certificate of ${member} does not match its fingerprint ${keyId}`;
      else verdict = cert;
    } catch (e) {
      verdict = `certificate of ${member} unreadable: ${(e as Error).message}`;
    }
    this.certs.set(cacheKey, verdict);
    return verdict;
  }

  /** Why `value` may not stand under `key` in `doc`, or undefined when it may. */
  check(doc: FleetDoc, key: string, value: unknown): string | undefined {
    const who = signerOf(key);
    if (who === undefined || who === 'epoch') return undefined;
    const text = A.isImmutableString(value) ? value.toString() : typeof value === 'string' ? value : undefined;
    if (text === undefined) return `${describe(key)}: not a text value`;
    if (who === 'certificate') {
      const [, member, keyId] = key.split(SEP);
      const c = this.certificate(member ?? '', keyId ?? '', text);
      return typeof c === 'string' ? c : undefined;
    }
    const sealed = parseSealed(text);
    if (!sealed) return `${describe(key)}: not signed`;
    let publicKey: KeyObject;
    if (who === 'fleet-ca') {
      if (sealed.k !== CA_KEY_ID) return `${describe(key)}: signed by ${sealed.k}, not by the fleet CA`;
      publicKey = this.ca.publicKey;
    } else {
      const pem = doc[certificateKey(who.member, sealed.k)];
      const pemText = A.isImmutableString(pem) ? pem.toString() : undefined;
      if (pemText === undefined) return `${describe(key)}: signed with key ${sealed.k.slice(0, 12)}…, which is not a certificate of ${who.member} in the document`;
      const c = this.certificate(who.member, sealed.k, pemText);
      if (typeof c === 'string') return `${describe(key)}: ${c}`;
      publicKey = c.publicKey;
    }
    let ok = false;
    try {
      ok = cryptoVerify('sha256', signed(key, sealed.p), publicKey, Buffer.from(sealed.s, 'base64'));
    } catch {
      ok = false;
    }
    return ok ? undefined : `${describe(key)}: signature does not verify`;
  }

  /**
   * Every reason a value that `after` gained since `fromHeads` may not stand
   * (each concurrent value of a key counts: a value losing now can win later).
   * Values removed are not checked (see the header).
   */
  rejected(after: A.Doc<FleetDoc>, fromHeads: A.Heads): string[] {
    const touched = new Set<string>();
    for (const patch of A.diff(after, fromHeads, A.getHeads(after))) {
      const key = patch.path[0];
      if (patch.action !== 'del' && typeof key === 'string' && signerOf(key) !== undefined) touched.add(key);
    }
    const out: string[] = [];
    // An epoch begins with one change everyone builds alike (epochs.ts); a document that has history already
    // (adopting one starts empty) never takes another write of the marker from a peer.
    if (touched.has('en') && fromHeads.length > 0) out.push('epoch marker: written only by the first change of an epoch');
    touched.delete('en');
    for (const key of touched) {
      // getConflicts names every concurrent value, and nothing when there is only one.
      const conflicts = A.getConflicts(after, key);
      for (const v of conflicts ? Object.values(conflicts) : key in after ? [after[key]] : []) {
        const reason = this.check(after, key, v);
        if (reason) out.push(reason);
      }
    }
    return out;
  }
}

function describe(key: string): string {
  const [kind, a, b] = key.split(SEP);
  const what = kind === 'st' ? `status of ${a} for ${b}` : kind === 'pa' ? `address of ${a}` : kind === 'co' ? `coordinate of ${a}`
    : kind === 'rv' ? `revocation of ${a}` : kind === 'ec' ? `epoch proposal of ${a}` : kind === 'ak' ? `epoch acknowledgement of ${a}` : key;
  return what;
}
