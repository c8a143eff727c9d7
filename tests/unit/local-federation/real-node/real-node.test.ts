import { hostNodePlan, planNetwork } from '../../../../local-federation/real-node/network.js';
import { kubernetesEndpointSlice, nodeCgroupRoot, plannedRealNodes, realNetworkState, realNodeProcess } from '../../../../local-federation/real-node/real-node.js';

describe('real nodes of a federation', () => {
  const plan = planNetwork('n13', 2, 3);
  const nodes = plannedRealNodes('n13', '/f', 'member-1', plan);

  it('gives each node its own name, folder, containerd socket and cgroup subtree under the instance', () => {
    expect(nodes.map((n) => n.nodeName)).toEqual(['n13-member-1-real-1', 'n13-member-1-real-2', 'n13-member-1-real-3']);
    expect(nodes[1]).toMatchObject({
      member: 'member-1', ordinal: 2, netns: 'fedfeat-n13.node2', nodeIP: '10.213.2.11', hostIP: '10.213.2.1', subnet: '10.213.2.0/24',
      dir: '/f/real-node/node2', kubeletConfig: '/f/real-node/node2/kubelet-config.yaml',
      containerdSocket: '/run/fedfeat/n13/node2/containerd.sock', cgroupRoot: '/fedfeat-n13/node2',
    });
    expect(nodeCgroupRoot('n13', 'node3').startsWith('/fedfeat-n13/')).toBe(true);
    expect(realNodeProcess('member-1', 2, 'kube-proxy')).toBe('member-1/real-2/kube-proxy');
    // The containerd socket path must fit a sockaddr_un (108 bytes) with its ".ttrpc" sibling.
    expect(`${nodes[0]!.containerdSocket}.ttrpc`.length).toBeLessThan(108);
  });

  it("keeps the host cluster's node apart from member-1's: its own name, folder, socket, cgroup and cluster CIDR", () => {
    const withHost = planNetwork('n13', 2, 3, { hostNode: true });
    const [host] = plannedRealNodes('n13', '/f', 'host', hostNodePlan(withHost));
    expect(host).toMatchObject({
      member: 'host', nodeName: 'n13-host-real-1', ordinal: 1, netns: 'fedfeat-n13.host1', nodeIP: '10.213.2.2',
      dir: '/f/real-node/host1', containerdSocket: '/run/fedfeat/n13/host1/containerd.sock', cgroupRoot: '/fedfeat-n13/host1',
    });
    expect(hostNodePlan(withHost)).toMatchObject({ clusterCidr: '10.99.2.0/24', nodes: [withHost.hostNode] });
    expect(realNodeProcess('host', 1, 'kubelet')).toBe('host/real-1/kubelet');
    // The members' nodes are planned as without it.
    expect(plannedRealNodes('n13', '/f', 'member-1', withHost)).toEqual(nodes);
    expect(() => hostNodePlan(plan)).toThrow(/no host node/);
  });

  it('records the network with the member that owns it, for down', () => {
    expect(realNetworkState('member-1', plan)).toEqual({
      member: 'member-1', index: 2, bridge: plan.bridge, hostIP: '10.213.2.1', subnet: '10.213.2.0/24', clusterCidr: '10.102.0.0/16', nodes: plan.nodes,
    });
  });

  it('writes the kubernetes Service endpoint kube-proxy needs: the member API server address and port', () => {
    expect(kubernetesEndpointSlice('https://10.213.2.1:40535')).toEqual({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes', namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'kubernetes', 'endpointslice.kubernetes.io/managed-by': 'local-federation.fedfeat.io' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.213.2.1'], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 40535, protocol: 'TCP' }],
    });
  });
});
