import { parse } from 'yaml';
import { renderContainerdConfig, renderCniConfig, containerdPaths } from '../../local-federation/real-node/containerd.js';
import { kubeletArgs, renderKubeletConfig } from '../../local-federation/real-node/kubelet.js';
import { planNetwork, inNodeNetns } from '../../local-federation/real-node/network.js';

const setup = {
  nodeName: 'member-1-real', nodeIP: '10.213.0.2', rootDir: '/r', configFile: '/c.yaml', kubeconfig: '/k',
  clientCAFile: '/ca', servingCert: '/s.crt', servingKey: '/s.key', containerdSocket: '/run/fedfeat/t/containerd.sock', cgroupRoot: '/fedfeat-t',
};

describe('real node configuration', () => {
  it('points the kubelet at its own containerd and cgroup root, with the CPU manager at its default', () => {
    const cfg = parse(renderKubeletConfig(setup)) as Record<string, unknown>;
    expect(cfg.kind).toBe('KubeletConfiguration');
    expect(cfg.containerRuntimeEndpoint).toBe('unix:///run/fedfeat/t/containerd.sock');
    expect(cfg.cgroupRoot).toBe('/fedfeat-t');
    expect(cfg.cpuManagerPolicy).toBe('none');
    expect((cfg.authentication as { anonymous: { enabled: boolean } }).anonymous.enabled).toBe(false);
    expect(kubeletArgs(setup)).toContain('--node-ip=10.213.0.2');
  });

  it('keeps containerd apart from any other containerd on the machine', () => {
    const p = containerdPaths('/f/real-node', 'test');
    const toml = renderContainerdConfig(p, 'fedfeat.local/pause:3.10');
    expect(toml).toContain('address = "/run/fedfeat/test/containerd.sock"');
    expect(toml).toContain('sandbox_image = "fedfeat.local/pause:3.10"');
    expect(toml).toContain('SystemdCgroup = false');
    expect(toml).toContain(`conf_dir = "${p.cniConfDir}"`);
  });

  it('gives pods a bridge network on the node podCIDR', () => {
    const cni = JSON.parse(renderCniConfig('10.244.3.0/24')) as { plugins: Array<{ type: string; ipam?: { ranges: Array<Array<{ subnet: string }>> } }> };
    expect(cni.plugins[0]!.type).toBe('bridge');
    expect(cni.plugins[0]!.ipam!.ranges[0]![0]!.subnet).toBe('10.244.3.0/24');
  });

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
