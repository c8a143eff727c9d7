import { parse } from 'yaml';
import { kubeletArgs, renderKubeletConfig } from '../../../../local-federation/real-node/kubelet.js';

const setup = {
  nodeName: 'member-1-real', nodeIP: '10.213.0.2', rootDir: '/r', podLogsDir: '/n1/pod-logs', configFile: '/c.yaml', kubeconfig: '/k',
  clientCAFile: '/ca', servingCert: '/s.crt', servingKey: '/s.key', containerdSocket: '/run/fedfeat/t/containerd.sock', cgroupRoot: '/fedfeat-t',
};

describe('real node configuration', () => {
  it('points the kubelet at its own containerd and cgroup root, with the CPU manager at its default', () => {
    const cfg = parse(renderKubeletConfig(setup)) as Record<string, unknown>;
    expect(cfg.kind).toBe('KubeletConfiguration');
    expect(cfg.containerRuntimeEndpoint).toBe('unix:///run/fedfeat/t/containerd.sock');
    expect(cfg.cgroupRoot).toBe('/fedfeat-t');
    // Its own pod log folder: kubelets sharing /var/log/pods remove each other's pod logs as orphans.
    expect(cfg.podLogsDir).toBe('/n1/pod-logs');
    expect(cfg.cpuManagerPolicy).toBe('none');
    expect((cfg.authentication as { anonymous: { enabled: boolean } }).anonymous.enabled).toBe(false);
    expect(kubeletArgs(setup)).toContain('--node-ip=10.213.0.2');
  });
});
