import { parse } from 'yaml';
import { renderKubeconfig, renderMergedKubeconfig } from '../../../local-federation/kubeconfig.js';

describe('kubeconfig', () => {
  it('embeds CA and client certificate and selects the first context', () => {
    const cfg = parse(renderMergedKubeconfig([
      { clusterName: 'host', server: 'https://127.0.0.1:1', caPem: 'CA1', user: 'host-admin', clientCertPem: 'C', clientKeyPem: 'K' },
      { clusterName: 'member-1', server: 'https://127.0.0.1:2', caPem: 'CA2', user: 'm', token: 'tok' },
    ])) as { clusters: Array<{ cluster: Record<string, string> }>; users: Array<{ user: Record<string, string> }>; 'current-context': string };
    expect(cfg['current-context']).toBe('host');
    expect(Buffer.from(cfg.clusters[1]!.cluster['certificate-authority-data']!, 'base64').toString()).toBe('CA2');
    expect(cfg.users[0]!.user['client-certificate-data']).toBe(Buffer.from('C').toString('base64'));
    expect(cfg.users[1]!.user.token).toBe('tok');
  });

  it('refuses a user without credentials', () => {
    expect(() => renderKubeconfig({ clusterName: 'c', server: 's', caPem: 'p', user: 'u' })).toThrow(/client certificate or a token/);
  });
});
