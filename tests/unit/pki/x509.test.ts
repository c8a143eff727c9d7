import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { createCA, createKeyPair, issueCert, type Pem } from '../../../pki/x509.js';
import { repoRoot } from '../../../local-federation/repo-root.js';

const DAY = 86_400_000;
const x509 = (pem: string): X509Certificate => new X509Certificate(pem);
const spki = (pem: string): string => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');

describe('pki/x509', () => {
  let ca: Pem;
  beforeAll(async () => {
    ca = await createCA('test-ca', 30);
  });

  it('makes a self-signed CA whose key is PKCS#8 PEM', () => {
    const cert = x509(ca.cert);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=test-ca');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(ca.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(spki(ca.key)).toBe(cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
  });

  it('issues a server certificate with DNS and IP SANs that chains to the CA', async () => {
    const leaf = await issueCert(ca, { commonName: 'kube-apiserver', usage: 'server', dnsNames: ['localhost', 'kubernetes.default.svc'], ipAddresses: ['127.0.0.1', '10.96.0.1', '::1'] });
    const cert = x509(leaf.cert);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe('CN=kube-apiserver');
    expect(cert.issuer).toBe('CN=test-ca');
    expect(cert.checkIssued(x509(ca.cert))).toBe(true);
    expect(cert.verify(x509(ca.cert).publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:localhost, DNS:kubernetes.default.svc, IP Address:127.0.0.1, IP Address:10.96.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // Node names the extended key usage keyUsage: serverAuth
    expect(cert.checkHost('kubernetes.default.svc')).toBe('kubernetes.default.svc');
    expect(cert.checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(cert.checkIP('10.96.0.2')).toBeUndefined();
    expect(spki(leaf.key)).toBe(cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
  });

  it('issues client certificates whose organizations Kubernetes reads as groups, without SANs', async () => {
    const admin = x509((await issueCert(ca, { commonName: 'fedfeat-admin', organizations: ['system:masters'], usage: 'client' })).cert);
    expect(admin.subject.split('\n')).toEqual(['O=system:masters', 'CN=fedfeat-admin']);
    expect(admin.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth
    expect(admin.subjectAltName).toBeUndefined();
    const node = x509((await issueCert(ca, { commonName: 'system:node:n1', organizations: ['system:nodes', 'extra'], usage: 'server-client' })).cert);
    expect(node.subject.split('\n')).toEqual(['O=system:nodes', 'O=extra', 'CN=system:node:n1']);
    expect(node.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  });

  it('is valid from (a little before) now for the given number of days', async () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const cert = x509((await issueCert(ca, { commonName: 'v', usage: 'server', days: 10 }, now)).cert);
    expect(Date.parse(cert.validTo)).toBe(now + 10 * DAY);
    const from = Date.parse(cert.validFrom);
    expect(from).toBeLessThanOrEqual(now);
    expect(from).toBeGreaterThan(now - 3_600_000);
    expect(Date.parse(x509(ca.cert).validTo) - Date.now()).toBeGreaterThan(29 * DAY);
    await expect(issueCert(ca, { commonName: 'v', usage: 'server', days: 0 })).rejects.toThrow(/positive number of days/);
  });

  it('does not chain to another CA, and refuses a CA key that is not the certificate\'s', async () => {
    const other = await createCA('other-ca', 30);
    const leaf = x509((await issueCert(ca, { commonName: 'x', usage: 'server' })).cert);
    expect(leaf.checkIssued(x509(other.cert))).toBe(false);
    expect(leaf.verify(x509(other.cert).publicKey)).toBe(false);
    await expect(issueCert({ cert: ca.cert, key: other.key }, { commonName: 'x', usage: 'server' })).rejects.toThrow(/does not belong/);
  });

  it('signs with a CA key stored in another PEM flavour (SEC1 "EC PRIVATE KEY")', async () => {
    const sec1 = createPrivateKey(ca.key).export({ type: 'sec1', format: 'pem' }).toString();
    expect(sec1).toMatch(/BEGIN EC PRIVATE KEY/);
    const leaf = x509((await issueCert({ cert: ca.cert, key: sec1 }, { commonName: 'x', usage: 'server' })).cert);
    expect(leaf.verify(x509(ca.cert).publicKey)).toBe(true);
  });

  it('makes key pairs that sign and verify (service account tokens)', async () => {
    const keys = await createKeyPair();
    expect(keys.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(keys.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const data = Buffer.from('token');
    expect(verify('sha256', data, keys.publicKey, sign('sha256', data, keys.privateKey))).toBe(true);
  });

  it('serves TLS with mutual authentication through node:https', async () => {
    const serving = await issueCert(ca, { commonName: 'localhost', usage: 'server', ipAddresses: ['127.0.0.1'] });
    const client = await issueCert(ca, { commonName: 'fedfeat-admin', organizations: ['system:masters'], usage: 'client' });
    const server = https.createServer({ ...serving, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.end(`${peer.subject.O}/${peer.subject.CN}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await get({ host: '127.0.0.1', port, ca: ca.cert, cert: client.cert, key: client.key })).toBe('system:masters/fedfeat-admin');
      // Without the client certificate the server refuses the handshake.
      await expect(get({ host: '127.0.0.1', port, ca: ca.cert })).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});

function get(opts: https.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ ...opts, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

// The controller's container: readOnlyRootFilesystem, no writable /tmp, no
// openssl needed. As root this is done for real: a child node process in its
// own mount namespace, every mount but /proc, /sys and /dev remounted
// read-only, issues the webhook's certificates through
// reconfigurators/podpreset/certs.ts and serves HTTPS with them; this test
// verifies the server against the CA.
const SKIP_ENV = 'FEDFEAT_TEST_SKIP_ROOT';
const roIt = process.env[SKIP_ENV] === '1' ? it.skip : it;

/** Transpiles `entry` and the repository modules it imports (relative imports) into `outDir`, same layout. */
function transpileGraph(entry: string, outDir: string): void {
  const seen = new Set<string>();
  const queue = [path.join(repoRoot, entry)];
  for (let file = queue.shift(); file; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 }, fileName: file }).outputText;
    const target = path.join(outDir, path.relative(repoRoot, file)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, out);
    for (const m of out.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) queue.push(path.resolve(path.dirname(file), `${m[1]}.ts`));
  }
}

const CHILD = `
import { writeFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
// The premise: nothing the process could use as scratch space is writable.
for (const dir of new Set([process.cwd(), os.tmpdir(), '/tmp'])) {
  const probe = path.join(dir, '.fedfeat-probe-' + process.pid);
  try {
    writeFileSync(probe, '');
    rmSync(probe);
    console.error(dir + ' is writable: the read-only setup did not work');
    process.exit(3);
  } catch (e) {
    if (e.code !== 'EROFS') { console.error('probing ' + dir + ': ' + e.message); process.exit(3); }
  }
}
const { createWebhookCA, issueServingCert } = await import('./reconfigurators/podpreset/certs.js');
const ca = await createWebhookCA(1);
const serving = await issueServingCert(ca, ['localhost'], ['127.0.0.1'], 1);
const server = https.createServer({ cert: serving.cert, key: serving.key }, (req, res) => res.end('served from a read-only root'));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port, ca: ca.cert })));
`;

// Runs in the new mount namespace before node: per-mount read-only flags
// (remount,bind) change only this namespace's copies, never the host's mounts.
const ENTER_READ_ONLY = `
for m in $(cut -d' ' -f5 /proc/self/mountinfo); do
  case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue;; esac
  mount -o remount,bind,ro "$m" || [ "$m" != / ] || exit 1
done
cd "$1" && exec node child.mjs
`;

describe('certificates in a read-only root file system (as the controller runs in-cluster)', () => {
  roIt('issues the webhook CA and serving certificate and serves HTTPS with them, with no writable directory', async () => {
    const unshare = spawnSync('unshare', ['--version']);
    if (process.getuid?.() !== 0 || unshare.error) {
      throw new Error(`this test needs root and unshare (util-linux) to mount a read-only root in a private mount namespace (${process.getuid?.() !== 0 ? 'not root' : 'no unshare'}); set ${SKIP_ENV}=1 to skip it`);
    }
    // Prepared while the file system is still writable: the code under test, compiled, and the child script.
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-ro-'));
    try {
      transpileGraph('reconfigurators/podpreset/certs.ts', scratch);
      writeFileSync(path.join(scratch, 'package.json'), '{"type":"module"}\n');
      symlinkSync(path.join(repoRoot, 'node_modules'), path.join(scratch, 'node_modules'));
      writeFileSync(path.join(scratch, 'child.mjs'), CHILD);

      const env = { ...process.env };
      delete env.TMPDIR; // os.tmpdir() is then /tmp, read-only like everything else
      const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', ENTER_READ_ONLY, 'sh', scratch], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      try {
        const ready = await new Promise<{ port: number; ca: string }>((resolve, reject) => {
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (c: string) => {
            out += c;
            if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as { port: number; ca: string });
          });
          child.on('exit', (code) => reject(new Error(`child exited with ${code} before serving:\n${stderr}`)));
          setTimeout(() => reject(new Error(`child not serving after 30 s:\n${stderr}`)), 30_000).unref();
        });
        expect(await get({ host: '127.0.0.1', port: ready.port, ca: ready.ca })).toBe('served from a read-only root');
        // The client really verifies: without the webhook CA the handshake fails.
        await expect(get({ host: '127.0.0.1', port: ready.port })).rejects.toThrow(/self-signed|unable to verify|local issuer/);
      } finally {
        child.kill();
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 60_000);
});
