import { apiServerArgs, etcdArgs, kwokArgs, clusterPaths, type ClusterPki } from '../../../local-federation/control-plane.js';

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
