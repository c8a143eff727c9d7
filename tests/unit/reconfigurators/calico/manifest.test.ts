import { calicoLikeManifest } from '../../../../local-federation/calico-standin.js';
import { coveringCidr, hostLocalCniConfig, parseManifest, rewriteCalicoManifest } from '../../../../reconfigurators/calico/manifest.js';

type Env = { name: string; value?: string };
const nodeEnv = (objs: ReturnType<typeof parseManifest>) => {
  const ds = objs.find((o) => o.kind === 'DaemonSet') as unknown as { spec: { template: { spec: { containers: Array<{ name: string; env: Env[] }> } } } };
  return Object.fromEntries(ds.spec.template.spec.containers.find((c) => c.name === 'calico-node')!.env.map((e) => [e.name, e.value ?? 'valueFrom']));
};

describe('Calico manifest rewrite', () => {
  const objs = parseManifest(calicoLikeManifest());
  const out = rewriteCalicoManifest(objs, { poolCIDR: '10.244.0.0/16', version: 'v3.28.2' });

  it('turns the overlay off and sets the pool and host-local IPAM', () => {
    const env = nodeEnv(out);
    expect(env).toMatchObject({ CALICO_IPV4POOL_IPIP: 'Never', CALICO_IPV4POOL_VXLAN: 'Never', CALICO_IPV4POOL_CIDR: '10.244.0.0/16', USE_POD_CIDR: 'true' });
    // Everything else in the container is kept.
    expect(env.DATASTORE_TYPE).toBe('kubernetes');
    expect(env.CALICO_NETWORKING_BACKEND).toBe('valueFrom');
    const cm = out.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(cm.data.cni_network_config).toContain('"type": "host-local"');
    expect(cm.data.cni_network_config).toContain('"subnet": "usePodCidr"');
    expect(cm.data.cni_network_config).not.toContain('calico-ipam');
    // Placeholders the install-cni container fills in stay as they were, unquoted ones included.
    expect(cm.data.cni_network_config).toContain('"mtu": __CNI_MTU__');
    expect(cm.data.cni_network_config).toContain('"nodename": "__KUBERNETES_NODE_NAME__"');
    expect(cm.data.calico_backend).toBe('bird');
  });

  it('labels every object as fedfeat\'s, puts CRDs first and leaves the input untouched', () => {
    expect(out).toHaveLength(objs.length);
    for (const o of out) expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('fedfeat');
    const firstNonCrd = out.findIndex((o) => o.kind !== 'CustomResourceDefinition');
    expect(out.slice(firstNonCrd).some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
    expect(nodeEnv(objs).CALICO_IPV4POOL_IPIP).toBe('Always');
  });

  it('refuses manifests that are not the Calico manifest install', () => {
    const noDs = objs.filter((o) => o.kind !== 'DaemonSet');
    expect(() => rewriteCalicoManifest(noDs, { poolCIDR: '10.0.0.0/8', version: 'x' })).toThrow(/no DaemonSet calico-node/);
    const noCm = objs.filter((o) => o.kind !== 'ConfigMap');
    expect(() => rewriteCalicoManifest(noCm, { poolCIDR: '10.0.0.0/8', version: 'x' })).toThrow(/no ConfigMap calico-config/);
    expect(() => parseManifest('a: [')).toThrow(/not valid YAML/);
    expect(() => hostLocalCniConfig('{"plugins":[{"type":"flannel"}]}')).toThrow(/no plugin of type "calico"/);
  });
});

describe('coveringCidr', () => {
  it('finds the smallest CIDR covering node podCIDRs', () => {
    expect(coveringCidr(['10.244.1.0/24', '10.244.2.0/24', '10.244.7.0/24'])).toBe('10.244.0.0/21');
    expect(coveringCidr(['10.244.1.0/24'])).toBe('10.244.1.0/24');
    expect(coveringCidr(['10.0.0.0/24', '192.168.0.0/24'])).toBe('0.0.0.0/0');
    expect(coveringCidr([])).toBeUndefined();
  });
});
