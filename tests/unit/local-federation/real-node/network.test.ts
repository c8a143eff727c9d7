import { planNetwork, inNodeNetns } from '../../../../local-federation/real-node/network.js';

describe('real node configuration', () => {
  it('derives interface names that fit the kernel limit and a private /30', () => {
    const n = planNetwork('a-sixteen-chars1', 7);
    expect(n.hostVeth.length).toBeLessThanOrEqual(15);
    expect(n.nodeVeth.length).toBeLessThanOrEqual(15);
    expect(n.hostVeth).not.toBe(planNetwork('other', 7).hostVeth);
    expect([n.hostIP, n.nodeIP, n.subnet]).toEqual(['10.213.7.1', '10.213.7.2', '10.213.7.0/30']);
  });

  it('enters only the network namespace, so mounts stay visible to containerd', () => {
    expect(inNodeNetns('ns1', ['kubelet', '--v=1'])).toEqual(['nsenter', '--net=/run/netns/ns1', '--', 'kubelet', '--v=1']);
  });
});
