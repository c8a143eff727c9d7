// The real kubelet node in member-1: real pods on containerd, and the
// kubelet's live configuration read through the member's API server.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { KubeClient, type KubeObject } from '../../kube-client/client.js';
import { adminClient, describeRealNode, eventually, federation, TEST_FEDERATION } from './federation.js';

const state = federation();

// As root (CI) the real node is required and a missing one fails here, naming why the launcher skipped
// it; without root the launcher skips it and so does this file, saying why (FEDFEAT_TEST_REAL_NODE).
describeRealNode('real node', (node) => {
  let m1: KubeClient;
  beforeAll(async () => {
    m1 = await adminClient('member-1');
  });
  afterAll(() => m1.close());

  it('exists when running as root', () => {
    expect(state.realNodeSkipped).toBeUndefined();
    expect(state.realNodes?.map((n) => n.nodeName)).toEqual([1, 2, 3].map((k) => `${TEST_FEDERATION}-member-1-real-${k}`));
  });

  it('runs a pod whose readiness probe passes, on containerd', async () => {
    const name = `ready-${Date.now()}`;
    await m1.post('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
      spec: {
        nodeName: node.nodeName,
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'web', image: 'fedfeat.local/tools:1.0',
          command: ['sh', '-c', 'echo pod-$HOSTNAME > /var/www/index.html; exec httpd -f -p 8080 -h /var/www'],
          readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
        }],
      },
    });
    try {
      const pod = await eventually('pod Ready', async () => {
        const p = await m1.get<KubeObject & { status: { conditions?: Array<{ type: string; status: string }>; podIP?: string; containerStatuses?: Array<{ containerID?: string }> } }>(`/api/v1/namespaces/default/pods/${name}`);
        return p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      }, 90_000);
      expect(pod.status.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\//);
      // The pod really serves: reach it through the route the launcher set up to the node's pod CIDR.
      const body = await (await fetch(`http://${pod.status.podIP}:8080/index.html`)).text();
      expect(body.trim()).toBe(`pod-${name}`);
    } finally {
      await m1.delete(`/api/v1/namespaces/default/pods/${name}`);
    }
  });

  it('serves the live kubelet configuration at /configz through the API server node proxy', async () => {
    const configz = await m1.get<{ kubeletconfig: Record<string, unknown> }>(`/api/v1/nodes/${node.nodeName}/proxy/configz`);
    const file = parse(readFileSync(`${state.dir}/real-node/kubelet-config.yaml`, 'utf8')) as Record<string, unknown>;
    expect(configz.kubeletconfig.cpuManagerPolicy).toBe('none');
    expect(configz.kubeletconfig.cgroupRoot).toBe(file.cgroupRoot);
    expect(configz.kubeletconfig.address).toBe(node.nodeIP);
    expect(configz.kubeletconfig.containerRuntimeEndpoint).toBe(`unix://${node.containerdSocket}`);
  });
});
