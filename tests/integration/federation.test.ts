// The local federation, checked through its real API servers.
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, apiEndpointURL, type KubeFedCluster } from '../../api/kubefed.js';
import { KubeClient, type KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { adminClient, eventually, federation, TEST_MEMBERS, TEST_NODES } from './federation.js';

describe('local federation', () => {
  let host: KubeClient;
  beforeAll(async () => {
    host = await adminClient('host');
  });
  afterAll(() => host.close());

  it('registers every member on the host as a KubeFedCluster whose credentials reach that member', async () => {
    const list = await host.list<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE));
    expect(list.items.map((k) => k.metadata.name).sort()).toEqual(Array.from({ length: TEST_MEMBERS }, (_, i) => `member-${i + 1}`));
    for (const kfc of list.items) {
      const secret = await host.get<KubeObject & { data: Record<string, string> }>(resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, kfc.spec.secretRef.name));
      const token = Buffer.from(secret.data.token!, 'base64').toString();
      const ca = Buffer.from(kfc.spec.caBundle!, 'base64').toString();
      // Exactly what a controller would do: endpoint + CA bundle + token from the Secret, TLS verified.
      const member = KubeClient.fromToken(apiEndpointURL(kfc.spec.apiEndpoint), ca, token);
      try {
        const review = await member.post<{ status: { userInfo: { username: string } } }>(
          '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
        expect(review.status.userInfo.username).toBe('system:serviceaccount:kube-federation-system:fedfeat-host');
        const nodes = await member.list('/api/v1/nodes', { query: { labelSelector: 'fedfeat.io/node-kind=kwok' } });
        expect(nodes.items.every((n) => n.metadata.name.startsWith(`${kfc.metadata.name}-kwok-`))).toBe(true);
        expect(nodes.items).toHaveLength(TEST_NODES);
      } finally {
        member.close();
      }
    }
  });

  it('keeps members apart: one etcd, but an object made on one member is not on another', async () => {
    const m2 = await adminClient('member-2');
    const m3 = await adminClient('member-3');
    try {
      const name = `isolation-${Date.now()}`;
      await m2.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      expect(await m2.getOptional(`/api/v1/namespaces/${name}`)).toBeDefined();
      expect(await m3.getOptional(`/api/v1/namespaces/${name}`)).toBeUndefined();
      await m2.delete(`/api/v1/namespaces/${name}`);
    } finally {
      m2.close();
      m3.close();
    }
  });

  it('runs a DaemonSet pod on every KWOK node of a member', async () => {
    const m2 = await adminClient('member-2');
    const ns = 'default';
    const ds = {
      apiVersion: 'apps/v1', kind: 'DaemonSet',
      metadata: { name: 'probe-ds', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'probe-ds' } },
        template: { metadata: { labels: { app: 'probe-ds' } }, spec: { containers: [{ name: 'c', image: 'fedfeat.local/tools:1.0', command: ['sleep', '3600'] }] } },
      },
    };
    try {
      await m2.apply(resourcePath('apps/v1', 'daemonsets', ns, 'probe-ds'), ds, 'fedfeat-test');
      const pods = await eventually('one Running pod per KWOK node', async () => {
        const list = await m2.list<KubeObject & { spec: { nodeName?: string }; status: { phase?: string } }>(`/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: 'app=probe-ds' } });
        const running = list.items.filter((p) => p.status.phase === 'Running');
        return running.length === TEST_NODES ? running : undefined;
      }, 90_000);
      expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(TEST_NODES);
      const status = await m2.get<{ status: { numberReady: number; desiredNumberScheduled: number } }>(resourcePath('apps/v1', 'daemonsets', ns, 'probe-ds'));
      expect(status.status.desiredNumberScheduled).toBe(TEST_NODES);
    } finally {
      await m2.delete(resourcePath('apps/v1', 'daemonsets', ns, 'probe-ds'));
      m2.close();
    }
  });

  it('records every started process and reports the startup figures', () => {
    const state = federation();
    // etcd + host (apiserver, controller-manager) + per member (apiserver, controller-manager, scheduler, kwok, podpreset webhook)
    // + per real node (containerd, kubelet, kube-proxy); the host's real node brings a scheduler to the host too
    const expected = 1 + 2 + TEST_MEMBERS * 5 + (state.realNodes?.length ?? 0) * 3 + (state.hostNode ? 1 + 3 : 0);
    expect(state.processes).toHaveLength(expected);
    expect(state.startupSeconds).toBeGreaterThan(0);
    expect(state.memoryMiB).toBeGreaterThan(0);
  });
});
