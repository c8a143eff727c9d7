import { parse } from 'yaml';
import { apiServerArgs, etcdArgs, kwokArgs, clusterPaths, type ClusterPki } from '../../local-federation/control-plane.js';
import { renderKubeconfig, renderMergedKubeconfig } from '../../local-federation/kubeconfig.js';
import { kwokNode } from '../../local-federation/kwok-nodes.js';
import { validateUpOptions } from '../../local-federation/launcher.js';
import { instanceDir } from '../../local-federation/state.js';

const pki: ClusterPki = {
  ca: { cert: '/p/ca.crt', key: '/p/ca.key' },
  serving: { cert: '/p/s.crt', key: '/p/s.key' },
  admin: { cert: '/p/a.crt', key: '/p/a.key' },
  kubeletClient: { cert: '/p/k.crt', key: '/p/k.key' },
  serviceAccount: { privateKey: '/p/sa.key', publicKey: '/p/sa.pub' },
};

describe('control plane arguments', () => {
  it('gives each API server its own etcd prefix and port, and never reconciles a loopback endpoint', () => {
    const args = apiServerArgs({ name: 'member-1', bindAddress: '127.0.0.1', port: 4443, etcdEndpoint: 'http://127.0.0.1:2379', etcdPrefix: '/fedfeat/member-1/registry', pki });
    expect(args).toContain('--etcd-prefix=/fedfeat/member-1/registry');
    expect(args).toContain('--secure-port=4443');
    expect(args).toContain('--endpoint-reconciler-type=none');
    expect(args).toContain('--authorization-mode=Node,RBAC');
    expect(args).toContain('--kubelet-client-certificate=/p/k.crt');
  });

  it('listens and advertises on the address it is given (the real node member uses its veth address)', () => {
    const args = apiServerArgs({ name: 'm', bindAddress: '10.213.0.1', port: 1, etcdEndpoint: 'e', etcdPrefix: 'p', pki });
    expect(args).toContain('--bind-address=10.213.0.1');
    expect(args).toContain('--advertise-address=10.213.0.1');
  });

  it('runs etcd on loopback only', () => {
    const args = etcdArgs('/d', 1111, 2222);
    expect(args.filter((a) => a.includes('http://')).every((a) => a.includes('127.0.0.1'))).toBe(true);
    expect(args).toContain('--listen-client-urls=http://127.0.0.1:1111');
  });

  it('makes KWOK manage only annotated fake nodes', () => {
    const args = kwokArgs(clusterPaths('/f', 'member-2'), 4321);
    expect(args).toContain('--manage-all-nodes=false');
    expect(args).toContain('--node-port=4321');
    expect(args).toContain('--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake');
  });
});

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

describe('KWOK nodes', () => {
  it('carries the annotation KWOK selects on and a schedulable capacity', () => {
    const n = kwokNode('member-1', 3, 'v1.34.4');
    expect(n.metadata.name).toBe('member-1-kwok-3');
    expect(n.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect((n.status as { allocatable: Record<string, string> }).allocatable.pods).toBe('110');
  });
});

describe('up options', () => {
  it.each([
    [{ members: 0 }, /--members must be/],
    [{ members: 2.5 }, /--members must be/],
    [{ nodesPerMember: -1 }, /--nodes must be/],
    [{ realNode: 'maybe' }, /--real-node must be/],
  ])('rejects %j', (bad, msg) => {
    expect(() => validateUpOptions({ instance: 'x', members: 3, nodesPerMember: 5, realNode: 'auto', ...bad } as never)).toThrow(msg);
  });

  it('accepts the defaults', () => {
    expect(() => validateUpOptions({ instance: 'x', members: 3, nodesPerMember: 5, realNode: 'auto' })).not.toThrow();
  });

  it('refuses instance names that could escape the state folder or overflow interface names', () => {
    expect(() => instanceDir('../etc')).toThrow(/instance name/);
    expect(() => instanceDir('a-very-long-instance-name')).toThrow(/instance name/);
    expect(instanceDir('dev')).toMatch(/federations\/dev$/);
  });
});
