// Who a TLS peer is (pure). Node's TLS layer has already checked the chain
// against the fleet CA; this decides whether the certificate names an agent
// of a fleet member we accept. An agent certificate (issued by `fedfeat agent
// certificate` / `fedfeat join --decentralized`) has CN = member name,
// O = fedfeat:agents and the member name among its DNS SANs.
import type { PeerCertificate } from 'node:tls';

export const AGENT_ORGANIZATION = 'fedfeat:agents';
/**
 * An operator certificate (`fedfeat unjoin`, `fedfeat agent revoke`, issued
 * from the fleet CA for an hour): it may connect to an agent and sync, but it
 * is no member — it never listens, advertises or reports, and agents never
 * dial it. What it writes that only the fleet may say (a revocation) it signs
 * with the CA key itself (fleet-signing.ts).
 */
export const OPERATOR_ORGANIZATION = 'fedfeat:operators';
/** Operators' links are named with this prefix, which no member name (a DNS label) can carry. */
export const OPERATOR_PREFIX = 'operator/';
// DNS-1123 label: the member names KubeFed uses.
const MEMBER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export type PeerCheck = { ok: true; member: string } | { ok: false; reason: string };

/**
 * The subject and SANs of a certificate read with node:crypto's X509Certificate, in the shape TLS gives a
 * peer's. Parsed from its text fields rather than with toLegacyObject(), which loads Node's TLS internals
 * lazily: called before node:tls was ever loaded, that circular load leaves tls.createSecureContext
 * undefined for the rest of the process (seen in jest, where test files share one process).
 */
export function certFields(cert: { subject: string; subjectAltName?: string | undefined }): CertFields {
  const subject: Record<string, string | string[]> = {};
  for (const line of cert.subject.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const [k, v] = [line.slice(0, i), line.slice(i + 1)];
    const had = subject[k];
    subject[k] = had === undefined ? v : ([] as string[]).concat(had, v);
  }
  return { subject: subject as unknown as CertFields['subject'], subjectaltname: cert.subjectAltName ?? '' };
}

type CertFields = Pick<PeerCertificate, 'subject' | 'subjectaltname'>;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function agentIdentity(cert: CertFields | undefined): PeerCheck {
  if (!cert || !cert.subject) return { ok: false, reason: 'no client certificate' };
  const member = first(cert.subject.CN);
  if (!member || !MEMBER_NAME.test(member)) return { ok: false, reason: `certificate CN ${JSON.stringify(member)} is not a member name` };
  const orgs = ([] as string[]).concat(cert.subject.O ?? []);
  if (!orgs.includes(AGENT_ORGANIZATION)) return { ok: false, reason: `certificate of ${member} is not an agent certificate (O=${AGENT_ORGANIZATION} missing)` };
  const sans = (cert.subjectaltname ?? '').split(',').map((s) => s.trim());
  if (!sans.includes(`DNS:${member}`)) return { ok: false, reason: `certificate of ${member} does not name it in its subject alternative names` };
  return { ok: true, member };
}

/** An operator's certificate: O=fedfeat:operators, CN a DNS label. */
export function operatorIdentity(cert: CertFields | undefined): PeerCheck {
  const orgs = ([] as string[]).concat(cert?.subject?.O ?? []);
  const cn = first(cert?.subject?.CN);
  if (!orgs.includes(OPERATOR_ORGANIZATION)) return { ok: false, reason: 'not an operator certificate' };
  if (orgs.includes(AGENT_ORGANIZATION)) return { ok: false, reason: 'a certificate cannot be both an agent\'s and an operator\'s' };
  if (!cn || !MEMBER_NAME.test(cn)) return { ok: false, reason: `operator certificate CN ${JSON.stringify(cn)} is not a DNS label` };
  return { ok: true, member: `${OPERATOR_PREFIX}${cn}` };
}

/**
 * The full decision for a peer: an agent certificate, not revoked, and not
 * ourselves; an inbound connection (no `expected` member) may also be an operator's.
 */
export function acceptPeer(cert: CertFields | undefined, self: string, revoked: ReadonlySet<string>, expected?: string): PeerCheck {
  if (expected === undefined && ([] as string[]).concat(cert?.subject?.O ?? []).includes(OPERATOR_ORGANIZATION)) return operatorIdentity(cert);
  const id = agentIdentity(cert);
  if (!id.ok) return id;
  if (expected !== undefined && id.member !== expected) return { ok: false, reason: `expected the agent of ${expected}, the certificate names ${id.member}` };
  if (id.member === self) return { ok: false, reason: 'connected to itself' };
  if (revoked.has(id.member)) return { ok: false, reason: `member ${id.member} was removed from the fleet; its certificate is refused` };
  return id;
}
