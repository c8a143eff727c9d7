import { parse } from 'yaml';
import { kubeProxyArgs, renderKubeProxyConfig } from '../../../../local-federation/real-node/kube-proxy.js';

describe('kube-proxy of a real node', () => {
  const cfg = parse(renderKubeProxyConfig({ nodeName: 'n13-member-1-real-2', kubeconfig: '/f/kp.kubeconfig', clusterCidr: '10.103.0.0/16' })) as Record<string, any>;

  it('runs in iptables mode as its node, masquerading Service traffic from outside the cluster CIDR', () => {
    expect(cfg).toMatchObject({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode: 'iptables',
      hostnameOverride: 'n13-member-1-real-2', clusterCIDR: '10.103.0.0/16', clientConnection: { kubeconfig: '/f/kp.kubeconfig' },
    });
  });

  it('leaves the machine-wide conntrack limits alone and keeps its ports on loopback', () => {
    expect(cfg.conntrack).toEqual({ maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' });
    expect([cfg.healthzBindAddress, cfg.metricsBindAddress]).toEqual(['127.0.0.1:10256', '127.0.0.1:10249']);
    expect(kubeProxyArgs('/f/kp.yaml')).toEqual(['--config=/f/kp.yaml']);
  });
});
