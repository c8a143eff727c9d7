// KubeClient's retries against a real HTTPS server on 127.0.0.1, so the real
// request path (agent, TLS, kubeconfig credentials) is exercised.
// @peculiar/x509 resolves its dependencies through tsyringe, which needs the
// Reflect polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { jest } from '@jest/globals';
import { webcrypto } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

// The 429 backoff sleeps 250 ms, 500 ms, 1 s, 2 s; a recording sleep keeps the
// test fast and shows the delays. ESM modules are mocked before they are imported.
const sleeps: number[] = [];
jest.unstable_mockModule('../../../kube-client/wait.js', () => ({
  sleep: async (ms: number) => void sleeps.push(ms),
}));
const { KubeClient, KubeApiError, withSecureContext } = await import('../../../kube-client/client.js');

/** A self-signed certificate for 127.0.0.1; it is its own CA in the kubeconfig. */
async function selfSignedPem(): Promise<{ cert: string; key: string }> {
  // Node's webcrypto is the Web Crypto API; the DOM `Crypto` type is not in this project's lib.
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=fedfeat-test',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 24 * 3600_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem'), key };
}

interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
}

/** What the test server answers: a status and body per request, decided by the test. */
let answer: (req: Seen) => { status: number; body: unknown; headers?: Record<string, string> };
const seen: Seen[] = [];
let server: https.Server;
let serverUrl: string;
let caPem: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-client-'));
  const tls = await selfSignedPem();
  caPem = tls.cert;
  server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const s: Seen = { method: req.method ?? '', path: req.url ?? '', auth: req.headers.authorization };
    seen.push(s);
    req.resume();
    req.on('end', () => {
      const { status, body, headers } = answer(s);
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
  sleeps.length = 0;
});

const status = (code: number, reason: string, headers: Record<string, string> = {}) => ({ status: code, headers, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message: `${reason} (test)`, code } });
const ok = { status: 200, body: { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'default' } } };

/**
 * A kubeconfig whose user is an exec credential plugin (as aws/gcloud are) that hands out
 * the token currently in `tokenFile` and notes every run in `runsFile`. The plugin
 * returns no expirationTimestamp, so client-node runs it on every credential read.
 */
function execKubeconfig(name: string): { kubeconfig: string; tokenFile: string; runs: () => number } {
  const tokenFile = path.join(dir, `${name}.token`);
  const runsFile = path.join(dir, `${name}.runs`);
  writeFileSync(runsFile, '');
  const script = `const fs = require('fs');
fs.appendFileSync(${JSON.stringify(runsFile)}, 'run\\n');
const token = fs.readFileSync(${JSON.stringify(tokenFile)}, 'utf8').trim();
process.stdout.write(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token } }));`;
  const kubeconfig = path.join(dir, `${name}.kubeconfig`);
  writeFileSync(kubeconfig, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'test',
    clusters: [{ name: 'test', cluster: { server: serverUrl, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'test', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: ['-e', script], interactiveMode: 'Never' } } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
  }));
  const runs = () => readFileSync(runsFile, 'utf8').split('\n').filter(Boolean).length;
  return { kubeconfig, tokenFile, runs };
}

/** Accepts exactly the bearer token in `valid`; anything else is a 401. */
const acceptOnly = (valid: () => string) => (req: Seen) => (req.auth === `Bearer ${valid()}` ? ok : status(401, 'Unauthorized'));

describe('KubeClient on a 401', () => {
  it('re-reads the kubeconfig credentials once and retries with the new token', async () => {
    const { kubeconfig, tokenFile, runs } = execKubeconfig('rotated');
    writeFileSync(tokenFile, 'tok-1');
    const client = await KubeClient.fromKubeConfig(kubeconfig);
    try {
      expect(runs()).toBe(1);
      // The token rotates: the server now accepts only tok-2, which the plugin hands out.
      writeFileSync(tokenFile, 'tok-2');
      answer = acceptOnly(() => 'tok-2');
      await expect(client.get('/api/v1/namespaces/default')).resolves.toMatchObject({ metadata: { name: 'default' } });
      expect(seen.map((s) => s.auth)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
      expect(runs()).toBe(2);
      expect(client.stats).toEqual({ requests: 2, errors: 1 });
      expect(sleeps).toEqual([]);

      // The new credentials stay: the next request goes out once, with tok-2, and runs no plugin.
      await client.get('/api/v1/namespaces/default');
      expect(seen.map((s) => s.auth)).toEqual(['Bearer tok-1', 'Bearer tok-2', 'Bearer tok-2']);
      expect(runs()).toBe(2);
    } finally {
      client.close();
    }
  });

  it('fails with the 401 KubeApiError when the fresh credentials are refused too, after one retry', async () => {
    const { kubeconfig, tokenFile, runs } = execKubeconfig('revoked');
    writeFileSync(tokenFile, 'tok-revoked');
    const client = await KubeClient.fromKubeConfig(kubeconfig);
    try {
      answer = acceptOnly(() => 'tok-never');
      const err = await client.get('/api/v1/namespaces/default').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect(err).toMatchObject({ statusCode: 401, method: 'GET', path: '/api/v1/namespaces/default', reason: 'Unauthorized (test)' });
      expect(seen).toHaveLength(2);
      expect(runs()).toBe(2);
      expect(sleeps).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('does not retry a client built from a fixed token (nothing to re-read)', async () => {
    const client = KubeClient.fromToken(serverUrl, caPem, 'static');
    try {
      answer = acceptOnly(() => 'other');
      await expect(client.get('/api/v1/namespaces/default')).rejects.toMatchObject({ statusCode: 401 });
      expect(seen.map((s) => s.auth)).toEqual(['Bearer static']);
    } finally {
      client.close();
    }
  });
});

describe('KubeClient on a 429', () => {
  it('retries with a growing backoff and succeeds once the server lets it through', async () => {
    const client = KubeClient.fromToken(serverUrl, caPem, 'tok');
    try {
      answer = () => (seen.length <= 2 ? status(429, 'TooManyRequests') : ok);
      await expect(client.get('/api/v1/namespaces/default')).resolves.toMatchObject({ kind: 'Namespace' });
      expect(seen).toHaveLength(3);
      expect(sleeps).toEqual([250, 500]);
    } finally {
      client.close();
    }
  });

  it('gives up after five attempts with the 429 KubeApiError', async () => {
    const client = KubeClient.fromToken(serverUrl, caPem, 'tok');
    try {
      answer = () => status(429, 'TooManyRequests');
      const err = await client.post('/api/v1/namespaces/default/configmaps', { kind: 'ConfigMap' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect(err).toMatchObject({ statusCode: 429, method: 'POST', path: '/api/v1/namespaces/default/configmaps', reason: 'TooManyRequests (test)' });
      expect(seen).toHaveLength(5);
      expect(seen.every((s) => s.method === 'POST')).toBe(true);
      // Capped at 2 s.
      expect(sleeps).toEqual([250, 500, 1000, 2000]);
      expect(client.stats).toEqual({ requests: 5, errors: 5 });
    } finally {
      client.close();
    }
  });

  it("waits the server's Retry-After when it sends one, still capped at 2 s", async () => {
    const client = KubeClient.fromToken(serverUrl, caPem, 'tok');
    try {
      answer = () => (seen.length === 1 ? status(429, 'TooManyRequests', { 'Retry-After': '1' }) : seen.length === 2 ? status(429, 'TooManyRequests', { 'Retry-After': '30' }) : ok);
      await expect(client.get('/api/v1/namespaces/default')).resolves.toMatchObject({ kind: 'Namespace' });
      expect(sleeps).toEqual([1000, 2000]);
    } finally {
      client.close();
    }
  });

  it('does not retry other errors', async () => {
    const client = KubeClient.fromToken(serverUrl, caPem, 'tok');
    try {
      answer = () => status(500, 'InternalError');
      await expect(client.get('/api/v1/namespaces/default')).rejects.toMatchObject({ statusCode: 500 });
      expect(seen).toHaveLength(1);
      expect(sleeps).toEqual([]);
    } finally {
      client.close();
    }
  });
});

describe('KubeClient connections', () => {
  it('verifies the server with its CA and keeps one idle connection after a burst of parallel requests', async () => {
    const client = KubeClient.fromToken(serverUrl, caPem, 'tok');
    const open = new Set<unknown>();
    const onConnection = (socket: import('node:net').Socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    };
    server.on('secureConnection', onConnection);
    try {
      answer = () => ok;
      await Promise.all(Array.from({ length: 6 }, () => client.get('/api/v1/namespaces/default')));
      expect(seen).toHaveLength(6);
      // Sockets beyond the one kept are closed as their requests end.
      for (let i = 0; i < 50 && open.size > 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(open.size).toBe(1);
    } finally {
      server.off('secureConnection', onConnection);
      client.close();
    }
  });

  it('refuses a server whose certificate its CA did not sign', async () => {
    const other = await selfSignedPem();
    const client = KubeClient.fromToken(serverUrl, other.cert, 'tok');
    try {
      answer = () => ok;
      await expect(client.get('/api/v1/namespaces/default')).rejects.toThrow(/self[- ]signed|unable to verify|signature/i);
    } finally {
      client.close();
    }
  });
});

describe('KubeClient on a kept-alive connection the server closed', () => {
  it('sends a GET again once on a fresh connection, but never a POST', async () => {
    const client = KubeClient.fromToken(serverUrl, caPem, 'tok');
    let cut = 0;
    const cutReused = (req: import('node:http').IncomingMessage) => {
      // The second request on a connection: hang up without an answer, as a server closing an idle one does.
      if (cut > 0 && (req.socket as { served?: number }).served) {
        cut--;
        req.socket.destroy();
      }
      (req.socket as { served?: number }).served = 1;
    };
    server.prependListener('request', cutReused);
    try {
      answer = () => ok;
      await client.get('/api/v1/namespaces/default');
      cut = 1;
      await expect(client.get('/api/v1/namespaces/default')).resolves.toMatchObject({ kind: 'Namespace' });
      cut = 1;
      await expect(client.post('/api/v1/namespaces', { kind: 'Namespace' })).rejects.toThrow(/socket hang up|ECONNRESET/);
    } finally {
      server.off('request', cutReused);
      client.close();
    }
  });
});

describe('withSecureContext', () => {
  it('turns CA and credentials into one SecureContext, reused while they are unchanged', () => {
    const first = withSecureContext({ ca: caPem, headers: { a: 'b' }, rejectUnauthorized: true });
    expect(first.ca).toBeUndefined();
    expect(first.secureContext).toBeDefined();
    expect(first.headers).toEqual({ a: 'b' });
    expect(first.rejectUnauthorized).toBe(true);
    const again = withSecureContext({ ca: caPem, headers: { a: 'c' } }, first);
    expect(again.secureContext).toBe(first.secureContext);
    expect(again.headers).toEqual({ a: 'c' });
  });

  it('builds a new SecureContext when the material changes, and none without any', async () => {
    const first = withSecureContext({ ca: caPem });
    const other = (await selfSignedPem()).cert;
    expect(withSecureContext({ ca: other }, first).secureContext).not.toBe(first.secureContext);
    expect(withSecureContext({ headers: {} }, first).secureContext).toBeUndefined();
  });
});
