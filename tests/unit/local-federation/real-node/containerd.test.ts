import { renderContainerdConfig, renderCniConfig, containerdPaths } from '../../../../local-federation/real-node/containerd.js';

describe('real node configuration', () => {
  it('keeps containerd apart from any other containerd on the machine', () => {
    const p = containerdPaths('/f/real-node', 'test');
    const toml = renderContainerdConfig(p, 'fedfeat.local/pause:3.10');
    expect(toml).toContain('address = "/run/fedfeat/test/containerd.sock"');
    expect(toml).toContain('sandbox_image = "fedfeat.local/pause:3.10"');
    expect(toml).toContain('SystemdCgroup = false');
    expect(toml).toContain('conf_dir = "/etc/cni/net.d"');
    expect(toml).toContain('bin_dir = "/opt/cni/bin"');
  });

  it('gives pods a bridge network on the node podCIDR', () => {
    const cni = JSON.parse(renderCniConfig('10.244.3.0/24')) as { plugins: Array<{ type: string; ipam?: { ranges: Array<Array<{ subnet: string }>> } }> };
    expect(cni.plugins[0]!.type).toBe('bridge');
    expect(cni.plugins[0]!.ipam!.ranges[0]![0]!.subnet).toBe('10.244.3.0/24');
    // Pods on other nodes see the pod's own IP (plain routes, no NAT between pods).
    expect((cni.plugins[0] as { ipMasq?: boolean }).ipMasq).toBe(false);
  });
});
