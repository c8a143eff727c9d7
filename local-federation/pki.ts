// Certificates for the local federation, as files the API servers, etcd and
// the kubelet read. Issued in memory by pki/x509.ts (EC P-256 keys, PKCS#8
// PEM, which kube-apiserver, the kubelet and etcd all accept); this module
// only writes them into the federation's state dir. Every cluster gets its own
// CA, as real clusters do.
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createCA as createCAPem, createKeyPair, issueCert as issueCertPem, type CertRequest, type Pem } from '../pki/x509.js';

export type { CertRequest };

export interface CertPair {
  cert: string; // path to PEM certificate
  key: string; // path to PEM private key
}

function writePair(dir: string, name: string, pem: Pem): CertPair {
  mkdirSync(dir, { recursive: true });
  const pair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  writeFileSync(pair.cert, pem.cert);
  // Private keys readable by their owner only, as openssl wrote them.
  writeFileSync(pair.key, pem.key, { mode: 0o600 });
  return pair;
}

const readPair = (pair: CertPair): Pem => ({ cert: readPem(pair.cert), key: readPem(pair.key) });

export async function createCA(dir: string, commonName: string, days = 3650): Promise<CertPair> {
  return writePair(dir, 'ca', await createCAPem(commonName, days));
}

export async function issueCert(ca: CertPair, dir: string, name: string, req: CertRequest): Promise<CertPair> {
  return writePair(dir, name, await issueCertPem(readPair(ca), req));
}

/** Key pair that signs and verifies service account tokens. */
export async function createServiceAccountKey(dir: string): Promise<{ privateKey: string; publicKey: string }> {
  mkdirSync(dir, { recursive: true });
  const keys = await createKeyPair();
  const files = { privateKey: path.join(dir, 'sa.key'), publicKey: path.join(dir, 'sa.pub') };
  writeFileSync(files.privateKey, keys.privateKey, { mode: 0o600 });
  writeFileSync(files.publicKey, keys.publicKey);
  return files;
}

export const readPem = (file: string): string => readFileSync(file, 'utf8');
