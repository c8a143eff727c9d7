import { inNodeNetns, MAX_REAL_NODES, netnsPrefix, planClient, planNetwork, podRoutes } from '../../../../local-federation/real-node/network.js';

describe('real nodes network plan', () => {
  it('gives K nodes their own namespace, veth pair and address on one /24 behind a bridge', () => {
    const p = planNetwork('a-sixteen-chars1', 7, 3);
    expect([p.hostIP, p.subnet, p.clusterCidr]).toEqual(['10.213.7.1', '10.213.7.0/24', '10.107.0.0/16']);
    expect(p.nodes.map((n) => n.nodeIP)).toEqual(['10.213.7.10', '10.213.7.11', '10.213.7.12']);
    expect(p.nodes.map((n) => n.ordinal)).toEqual([1, 2, 3]);
    expect(p.nodes.map((n) => n.netns)).toEqual(['fedfeat-a-sixteen-chars1.node1', 'fedfeat-a-sixteen-chars1.node2', 'fedfeat-a-sixteen-chars1.node3']);
    const names = [p.bridge, ...p.nodes.flatMap((n) => [n.hostVeth, n.nodeVeth])];
    for (const name of names) expect(name.length).toBeLessThanOrEqual(15);
    expect(new Set(names).size).toBe(names.length);
  });

  it("puts the host cluster's node on the same subnet at .2, with its own names and a cluster CIDR no member or other instance uses", () => {
    const p = planNetwork('a-sixteen-chars1', 7, 3, { hostNode: true });
    expect(p.hostNode).toMatchObject({ ordinal: 1, key: 'host1', netns: 'fedfeat-a-sixteen-chars1.host1', nodeIP: '10.213.7.2' });
    expect(p.hostClusterCidr).toBe('10.99.7.0/24');
    const names = [p.bridge, ...[...p.nodes, p.hostNode!].flatMap((n) => [n.hostVeth, n.nodeVeth])];
    for (const name of names) expect(name.length).toBeLessThanOrEqual(15);
    expect(new Set(names).size).toBe(names.length);
    expect(planNetwork('x', 7, 3).hostNode).toBeUndefined();
    expect(planNetwork('x', 8, 1, { hostNode: true }).hostClusterCidr).not.toBe(p.hostClusterCidr);
  });

  it('keeps two instances apart: names, and namespace prefixes that never match the other instance', () => {
    const a = planNetwork('n1', 0, 2);
    const b = planNetwork('n1-node', 1, 2);
    expect(a.bridge).not.toBe(b.bridge);
    expect(a.nodes[0]!.hostVeth).not.toBe(b.nodes[0]!.hostVeth);
    for (const n of b.nodes) expect(n.netns.startsWith(netnsPrefix('n1'))).toBe(false);
  });

  it('accepts 1 to MAX_REAL_NODES nodes and subnet indexes whose cluster CIDR fits 10.x', () => {
    expect(planNetwork('x', 0, 1).nodes).toHaveLength(1);
    expect(planNetwork('x', 0, MAX_REAL_NODES).nodes).toHaveLength(MAX_REAL_NODES);
    expect(() => planNetwork('x', 0, 0)).toThrow(/real nodes must be 1 to 8/);
    expect(() => planNetwork('x', 0, MAX_REAL_NODES + 1)).toThrow(/real nodes must be 1 to 8/);
    expect(planNetwork('x', 154, 1).clusterCidr).toBe('10.254.0.0/16');
    expect(() => planNetwork('x', 155, 1)).toThrow(/subnet index/);
  });

  it('routes every podCIDR via its node from the host, and from every other node (no route to a node\'s own)', () => {
    const p = planNetwork('t', 3, 3);
    const r = podRoutes(p, ['10.103.1.0/24', '10.103.0.0/24', '10.103.5.0/24']);
    expect(r.host).toEqual([
      { dst: '10.103.1.0/24', via: '10.213.3.10' },
      { dst: '10.103.0.0/24', via: '10.213.3.11' },
      { dst: '10.103.5.0/24', via: '10.213.3.12' },
    ]);
    expect(r.nodes).toEqual([
      { netns: 'fedfeat-t.node1', routes: [{ dst: '10.103.0.0/24', via: '10.213.3.11' }, { dst: '10.103.5.0/24', via: '10.213.3.12' }] },
      { netns: 'fedfeat-t.node2', routes: [{ dst: '10.103.1.0/24', via: '10.213.3.10' }, { dst: '10.103.5.0/24', via: '10.213.3.12' }] },
      { netns: 'fedfeat-t.node3', routes: [{ dst: '10.103.1.0/24', via: '10.213.3.10' }, { dst: '10.103.0.0/24', via: '10.213.3.11' }] },
    ]);
    expect(() => podRoutes(p, ['10.103.1.0/24'])).toThrow(/1 podCIDRs for 3 nodes/);
    expect(podRoutes(planNetwork('t', 3, 1), ['10.103.1.0/24']).nodes).toEqual([{ netns: 'fedfeat-t.node1', routes: [] }]);
  });

  it('puts a client namespace on the node subnet with the Service CIDR routed through a node', () => {
    const p = planNetwork('t', 3, 3);
    const c = planClient('t', p, 'probe', 0, '10.96.0.0/16');
    expect(c).toMatchObject({ netns: 'fedfeat-t.client-probe', ip: '10.213.3.200', routes: [{ dst: '10.96.0.0/16', via: '10.213.3.10' }] });
    expect(c.hostVeth.length).toBeLessThanOrEqual(15);
    expect(c.clientVeth.length).toBeLessThanOrEqual(15);
    expect(c.hostVeth).not.toBe(planClient('t', p, 'other', 1, '10.96.0.0/16').hostVeth);
    expect(planClient('t', p, 'x', 2, '10.96.0.0/16', 2).routes).toEqual([{ dst: '10.96.0.0/16', via: '10.213.3.12' }]);
    expect(() => planClient('t', p, 'Bad-Name', 0, '10.96.0.0/16')).toThrow(/client name/);
    expect(() => planClient('t', p, 'x', 0, '10.96.0.0/16', 3)).toThrow(/no node 3/);
  });

  it('enters only the network namespace, so mounts stay visible to containerd', () => {
    expect(inNodeNetns('ns1', ['kubelet', '--v=1'])).toEqual(['nsenter', '--net=/run/netns/ns1', '--', 'kubelet', '--v=1']);
    expect(inNodeNetns('ns1', ['kubelet'], '/run/fedfeat/x/mntns/node1')).toEqual(['nsenter', '--net=/run/netns/ns1', '--mount=/run/fedfeat/x/mntns/node1', '--', 'kubelet']);
  });
});
