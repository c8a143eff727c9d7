import mock from 'mock-fs';
import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createCA, createServiceAccountKey, issueCert } from '../../../local-federation/pki.js';

afterEach(() => mock.restore());

describe('local federation PKI files', () => {
  it('writes CA and leaf certificates where the API servers read them, keys owner-only', async () => {
    mock({ '/fed': {} });
    const ca = await createCA('/fed/pki', 'fedfeat-m1-ca');
    expect(ca).toEqual({ cert: '/fed/pki/ca.crt', key: '/fed/pki/ca.key' });
    const serving = await issueCert(ca, '/fed/pki', 'apiserver', { commonName: 'kube-apiserver', usage: 'server', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] });
    expect(serving).toEqual({ cert: '/fed/pki/apiserver.crt', key: '/fed/pki/apiserver.key' });
    const cert = new X509Certificate(readFileSync(serving.cert));
    expect(cert.verify(new X509Certificate(readFileSync(ca.cert)).publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth only
    const client = new X509Certificate(readFileSync((await issueCert(ca, '/fed/pki', 'admin', { commonName: 'a', usage: 'client' })).cert));
    expect(client.subjectAltName).toBeUndefined();
    for (const key of [ca.key, serving.key]) expect(statSync(key).mode & 0o777).toBe(0o600);
  });

  it('writes the service account key pair', async () => {
    mock({ '/fed': {} });
    const sa = await createServiceAccountKey('/fed/pki');
    expect(readFileSync(sa.privateKey, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(sa.publicKey, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(statSync(sa.privateKey).mode & 0o777).toBe(0o600);
  });
});
