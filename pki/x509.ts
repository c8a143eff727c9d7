// X.509 certificates in memory: PEM strings in, PEM strings out. No child
// process and no temporary files, so it works where the controller runs — a
// read-only root file system without a writable /tmp and without openssl.
//
// Keys are ECDSA P-256 in PKCS#8 PEM ("PRIVATE KEY"), public keys PKIX PEM
// ("PUBLIC KEY"): what `openssl req -newkey ec` wrote before, and what
// kube-apiserver, etcd, the kubelet, Node's tls and the service-account key
// flags all read.
//
// tsyringe (used by @peculiar/x509) throws on import unless the Reflect
// polyfill is loaded first; ES modules evaluate imports in order.
import 'reflect-metadata';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  cryptoProvider,
  type Extension,
  type JsonGeneralName,
  type JsonName,
} from '@peculiar/x509';
import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';

// The project compiles without the DOM lib: WebCrypto types come from node:crypto.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type SigningAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams;

// Node's WebCrypto, explicitly: the library's default is whatever global
// `crypto` it finds when it loads, which differs between Node, jest's VM
// contexts and browsers.
const subtle = webcrypto.subtle;
cryptoProvider.set(webcrypto);

export interface Pem {
  cert: string; // PEM certificate
  key: string; // PEM private key (PKCS#8)
}

export interface KeyPairPem {
  privateKey: string; // PKCS#8 PEM
  publicKey: string; // PKIX (SubjectPublicKeyInfo) PEM
}

export type Usage = 'server' | 'client' | 'server-client';

export interface CertRequest {
  commonName: string;
  /** Kubernetes reads these as the client's groups (e.g. system:masters). */
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: Usage;
  /** Validity in days; default 365. */
  days?: number;
}

const DAY_MS = 86_400_000;
// Certificates start a little in the past: a component whose clock is a few
// seconds behind the issuer's must not reject a fresh certificate.
const BACKDATE_MS = 5 * 60_000;

const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

const EKU: Record<Usage, ExtendedKeyUsage[]> = {
  server: [ExtendedKeyUsage.serverAuth],
  client: [ExtendedKeyUsage.clientAuth],
  'server-client': [ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth],
};

function validity(days: number, now: number): { notBefore: Date; notAfter: Date } {
  if (!(days > 0)) throw new Error(`certificate validity must be a positive number of days, got ${days}`);
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + days * DAY_MS) };
}

/** Subject as separate RDNs, organizations first, as `openssl -subj /O=../CN=..` made them. */
function subjectName(commonName: string, organizations: string[] = []): JsonName {
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return subtle.generateKey(EC_KEY, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return `${PemConverter.encode(await subtle.exportKey('pkcs8', key), 'PRIVATE KEY')}\n`;
}

async function publicKeyPem(key: CryptoKey): Promise<string> {
  return `${PemConverter.encode(await subtle.exportKey('spki', key), 'PUBLIC KEY')}\n`;
}

const certPem = (cert: X509Certificate): string => `${cert.toString('pem')}\n`;

const NODE_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const CURVE_HASH: Record<string, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };

/**
 * The CA's private key as a WebCrypto signing key. Goes through node:crypto so
 * any PEM flavour an existing CA may have been stored in (PKCS#8, SEC1
 * "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY") is accepted.
 */
async function importSigningKey(pem: string): Promise<{ key: CryptoKey; algorithm: SigningAlgorithm; object: KeyObject }> {
  const object = createPrivateKey(pem);
  const der = object.export({ type: 'pkcs8', format: 'der' });
  if (object.asymmetricKeyType === 'ec') {
    const namedCurve = NODE_CURVES[object.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!namedCurve) throw new Error(`CA key uses unsupported curve ${object.asymmetricKeyDetails?.namedCurve}`);
    const key = await subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
    return { key, algorithm: { name: 'ECDSA', hash: CURVE_HASH[namedCurve]! }, object };
  }
  if (object.asymmetricKeyType === 'rsa') {
    const key = await subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    return { key, algorithm: { name: 'RSASSA-PKCS1-v1_5' }, object };
  }
  throw new Error(`CA key type ${object.asymmetricKeyType} is not supported (EC or RSA)`);
}

/** A self-signed CA certificate and its key. */
export async function createCA(commonName: string, days = 3650, now = Date.now()): Promise<Pem> {
  const keys = await generateKeyPair();
  const cert = await X509CertificateGenerator.createSelfSigned({
    name: subjectName(commonName),
    keys,
    ...validity(days, now),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new BasicConstraintsExtension(true, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: certPem(cert), key: await privateKeyPem(keys.privateKey) };
}

/** A leaf certificate with a fresh key, signed by `ca`. */
export async function issueCert(ca: Pem, req: CertRequest, now = Date.now()): Promise<Pem> {
  const caCert = new X509Certificate(ca.cert);
  const signer = await importSigningKey(ca.key);
  // A mismatched pair would sign certificates nobody can verify; say so here instead.
  const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(signer.object)).equals(Buffer.from(caCert.publicKey.rawData))) {
    throw new Error('CA key does not belong to the CA certificate');
  }
  const keys = await generateKeyPair();
  const sans: JsonGeneralName[] = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(req.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  // Reuse the CA's own key identifier when it has one: CAs made elsewhere may compute it differently.
  const caKeyId = caCert.getExtension(SubjectKeyIdentifierExtension)?.keyId;
  const extensions: Extension[] = [
    new BasicConstraintsExtension(false, undefined, true),
    // ECDSA keys only sign (keyEncipherment is for RSA key transport).
    new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
    new ExtendedKeyUsageExtension(EKU[req.usage]),
    caKeyId ? new AuthorityKeyIdentifierExtension(caKeyId) : await AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (sans.length) extensions.push(new SubjectAlternativeNameExtension(sans));
  const cert = await X509CertificateGenerator.create({
    subject: subjectName(req.commonName, req.organizations),
    // The CA's subject as it is encoded in its certificate: chain building compares names byte for byte.
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    ...validity(req.days ?? 365, now),
    extensions,
  });
  return { cert: certPem(cert), key: await privateKeyPem(keys.privateKey) };
}

/** A bare key pair, e.g. to sign and verify service account tokens. */
export async function createKeyPair(): Promise<KeyPairPem> {
  const keys = await generateKeyPair();
  return { privateKey: await privateKeyPem(keys.privateKey), publicKey: await publicKeyPem(keys.publicKey) };
}
