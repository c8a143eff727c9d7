// The webhook's CA and serving certificate. The CA (in caBundle) lives long;
// the serving certificate is renewed with the same CA well before it expires,
// so the API server's trust never changes and no request is dropped.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCA, issueCert } from '../../local-federation/pki.js';

export interface Pem {
  cert: string;
  key: string;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-pki-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function createWebhookCA(days = 3650): Promise<Pem> {
  return withTempDir(async (dir) => {
    const p = await createCA(dir, 'fedfeat-podpreset-webhook-ca', days);
    return { cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8') };
  });
}

export function issueServingCert(ca: Pem, dnsNames: string[], ipAddresses: string[], days: number): Promise<Pem> {
  return withTempDir(async (dir) => {
    const caFiles = { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(caFiles.cert, ca.cert);
    writeFileSync(caFiles.key, ca.key, { mode: 0o600 });
    const p = await issueCert(caFiles, dir, 'serving', { commonName: dnsNames[0] ?? ipAddresses[0] ?? 'webhook', dnsNames, ipAddresses, usage: 'server', days });
    return { cert: readFileSync(p.cert, 'utf8'), key: readFileSync(p.key, 'utf8') };
  });
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
