import { leafExtensions } from '../../../local-federation/pki.js';

describe('certificates', () => {
  it('puts SANs and the right extended key usage in leaf certificates', () => {
    const ext = leafExtensions({ commonName: 'x', usage: 'server', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'] });
    expect(ext).toContain('extendedKeyUsage=serverAuth');
    expect(ext).toContain('subjectAltName=DNS:localhost,IP:127.0.0.1');
    expect(leafExtensions({ commonName: 'y', usage: 'client' })).not.toContain('subjectAltName');
  });
});
