// Certificates for the local federation, made with the openssl CLI (Node's
// crypto cannot issue X.509 certificates). Every cluster gets its own CA, as
// real clusters do; keys are EC P-256, which is fast to generate and which
// kube-apiserver, the kubelet and etcd all accept.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const run = promisify(execFile);

export interface CertPair {
  cert: string; // path to PEM certificate
  key: string; // path to PEM private key
}

export interface CertRequest {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: 'server' | 'client' | 'server-client';
  days?: number;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}

function subject(cn: string, orgs: string[] = []): string {
  return orgs.map((o) => `/O=${o}`).join('') + `/CN=${cn}`;
}

export async function createCA(dir: string, commonName: string, days = 3650): Promise<CertPair> {
  mkdirSync(dir, { recursive: true });
  const pair = { cert: path.join(dir, 'ca.crt'), key: path.join(dir, 'ca.key') };
  await openssl([
    'req', '-x509', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', pair.key, '-out', pair.cert, '-days', String(days), '-subj', subject(commonName),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  return pair;
}

/** The openssl extension section for a leaf certificate (pure, unit-tested). */
export function leafExtensions(req: CertRequest): string {
  const eku = { server: 'serverAuth', client: 'clientAuth', 'server-client': 'serverAuth,clientAuth' }[req.usage];
  const sans = [...(req.dnsNames ?? []).map((d) => `DNS:${d}`), ...(req.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${eku}`,
  ];
  if (sans.length) lines.push(`subjectAltName=${sans.join(',')}`);
  return lines.join('\n') + '\n';
}

export async function issueCert(ca: CertPair, dir: string, name: string, req: CertRequest): Promise<CertPair> {
  mkdirSync(dir, { recursive: true });
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, leafExtensions(req));
  await openssl([
    'req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', pair.key, '-out', csr, '-subj', subject(req.commonName, req.organizations),
  ]);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomSerial()}`,
    '-days', String(req.days ?? 365), '-out', pair.cert, '-extfile', ext,
  ]);
  rmSync(csr);
  rmSync(ext);
  return pair;
}

/** Key pair that signs and verifies service account tokens. */
export async function createServiceAccountKey(dir: string): Promise<{ privateKey: string; publicKey: string }> {
  mkdirSync(dir, { recursive: true });
  const privateKey = path.join(dir, 'sa.key');
  const publicKey = path.join(dir, 'sa.pub');
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', privateKey]);
  await openssl(['pkey', '-in', privateKey, '-pubout', '-out', publicKey]);
  return { privateKey, publicKey };
}

function randomSerial(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('').replace(/^[89a-f]/, '1');
}

export const readPem = (file: string): string => readFileSync(file, 'utf8');
