// The webhook's CA and serving certificate. The CA (in caBundle) lives long;
// the serving certificate is renewed with the same CA well before it expires,
// so the API server's trust never changes and no request is dropped.
// Issued in memory (pki/x509.ts): the controller runs with a read-only root
// file system, no writable /tmp and no openssl.
import { X509Certificate } from 'node:crypto';
import { createCA, issueCert, type Pem } from '../../pki/x509.js';

export type { Pem };

export function createWebhookCA(days = 3650): Promise<Pem> {
  return createCA('fedfeat-podpreset-webhook-ca', days);
}

export function issueServingCert(ca: Pem, dnsNames: string[], ipAddresses: string[], days: number): Promise<Pem> {
  return issueCert(ca, { commonName: dnsNames[0] ?? ipAddresses[0] ?? 'webhook', dnsNames, ipAddresses, usage: 'server', days });
}

/** Why the serving certificate must be (re)issued, or undefined when it is fine (pure). */
export function servingCertProblem(certPem: string | undefined, caPem: string, want: { dnsNames: string[]; ipAddresses: string[] }, renewBeforeMs: number, now = Date.now()): string | undefined {
  if (!certPem) return 'no serving certificate';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    return `serving certificate unreadable: ${(e as Error).message}`;
  }
  if (!cert.verify(new X509Certificate(caPem).publicKey)) return 'serving certificate not signed by the webhook CA';
  const expires = Date.parse(cert.validTo);
  if (expires - now < renewBeforeMs) return `serving certificate expires ${new Date(expires).toISOString()}`;
  const sans = cert.subjectAltName ?? '';
  const missing = [...want.dnsNames.map((d) => `DNS:${d}`), ...want.ipAddresses.map((ip) => `IP Address:${ip}`)].filter((s) => !sans.includes(s));
  if (missing.length) return `serving certificate lacks ${missing.join(', ')}`;
  return undefined;
}
