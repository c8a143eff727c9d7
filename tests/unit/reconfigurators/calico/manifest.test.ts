import { calicoLikeManifest } from '../../../../local-federation/calico-standin.js';
import { hostLocalCniConfig, imageFrom, parseManifest, rewriteCalicoManifest } from '../../../../reconfigurators/calico/manifest.js';
import type { KubeObject } from '../../../../kube-client/client.js';
import { officialManifest, officialManifestMissing } from './official-manifest.js';

type Env = { name: string; value?: string };
interface C { name: string; image?: string; command?: string[]; env?: Env[]; livenessProbe?: { exec?: { command?: string[] } }; readinessProbe?: { exec?: { command?: string[] } } }
type W = KubeObject & { spec: { template: { spec: { containers: C[]; initContainers?: C[]; volumes?: Array<{ name: string; secret?: { defaultMode?: number } }> } } } };
const ds = (objs: KubeObject[]) => objs.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'calico-node') as W;
const nodeContainer = (objs: KubeObject[]) => ds(objs).spec.template.spec.containers.find((c) => c.name === 'calico-node')!;
const nodeEnv = (objs: KubeObject[]) => Object.fromEntries(nodeContainer(objs).env!.map((e) => [e.name, e.value ?? 'valueFrom']));
const calicoConfig = (objs: KubeObject[]) => (objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'calico-config') as unknown as { data: Record<string, string> }).data;

const official = officialManifestMissing ? describe.skip : describe;
if (officialManifestMissing) console.warn(`skipping the official-manifest tests: ${officialManifestMissing}`);

official('Calico manifest rewrite on the official v3.28.2 calico.yaml', () => {
  const objs = officialManifestMissing ? [] : parseManifest(officialManifest());
  const cloud = officialManifestMissing ? [] : rewriteCalicoManifest(objs, { poolCIDR: '10.244.0.0/16', version: 'v3.28.2' });
  const bgp = officialManifestMissing ? [] : rewriteCalicoManifest(objs, { poolCIDR: '10.244.0.0/16', version: 'v3.28.2', routing: 'bgp' });

  it('reads the release as shipped: overlay on, Calico IPAM, BIRD, upgrade-ipam', () => {
    expect(nodeEnv(objs)).toMatchObject({ CALICO_IPV4POOL_IPIP: 'Always', CLUSTER_TYPE: 'k8s,bgp' });
    expect(calicoConfig(objs).calico_backend).toBe('bird');
    expect(calicoConfig(objs).cni_network_config).toContain('"type": "calico-ipam"');
    expect(ds(objs).spec.template.spec.initContainers!.map((c) => c.name)).toEqual(['upgrade-ipam', 'install-cni', 'mount-bpffs']);
  });

  it('cloud (default): policy only as calico-policy-only.yaml has it — no BIRD, Felix-only probes, host-local on usePodCidr, no overlay', () => {
    const env = nodeEnv(cloud);
    expect(env).toMatchObject({ CALICO_IPV4POOL_IPIP: 'Never', CALICO_IPV4POOL_VXLAN: 'Never', CALICO_IPV6POOL_VXLAN: 'Never', CALICO_IPV4POOL_CIDR: '10.244.0.0/16', USE_POD_CIDR: 'true', CLUSTER_TYPE: 'k8s' });
    expect(env.CALICO_NETWORKING_BACKEND).toBe('valueFrom'); // from calico-config calico_backend
    expect(calicoConfig(cloud).calico_backend).toBe('none');
    const cni = JSON.parse(calicoConfig(cloud).cni_network_config!.replace(/__CNI_MTU__/g, '0')) as { plugins: Array<{ type: string; ipam?: unknown }> };
    expect(cni.plugins.find((p) => p.type === 'calico')!.ipam).toEqual({ type: 'host-local', subnet: 'usePodCidr' });
    expect(calicoConfig(cloud).cni_network_config).toContain('"mtu": __CNI_MTU__'); // placeholders install-cni fills stay
    const node = nodeContainer(cloud);
    expect(node.livenessProbe!.exec!.command).toEqual(['/bin/calico-node', '-felix-live']);
    expect(node.readinessProbe!.exec!.command).toEqual(['/bin/calico-node', '-felix-ready']);
  });

  it('matches calico-policy-only.yaml where that manifest says how policy-only mode runs', () => {
    const policyOnly = parseManifest(officialManifest('calico-policy-only.yaml'));
    expect(calicoConfig(policyOnly).cni_network_config).toContain('"subnet": "usePodCidr"');
    expect(nodeEnv(policyOnly)).toMatchObject({ CALICO_NETWORKING_BACKEND: 'none', CLUSTER_TYPE: 'k8s', USE_POD_CIDR: 'true' });
    expect(nodeContainer(policyOnly).readinessProbe!.exec!.command).toEqual(nodeContainer(cloud).readinessProbe!.exec!.command);
    expect(nodeContainer(policyOnly).livenessProbe!.exec!.command).toEqual(nodeContainer(cloud).livenessProbe!.exec!.command);
    expect(ds(policyOnly).spec.template.spec.initContainers!.map((c) => c.name)).toEqual(ds(cloud).spec.template.spec.initContainers!.map((c) => c.name));
  });

  it('removes upgrade-ipam (and its host-local data mount) in both modes: host-local keeps its records', () => {
    for (const out of [cloud, bgp]) {
      const spec = ds(out).spec.template.spec;
      expect(spec.initContainers!.map((c) => c.name)).toEqual(['install-cni', 'mount-bpffs']);
      expect(spec.initContainers!.some((c) => c.command?.includes('-upgrade'))).toBe(false);
      expect(spec.volumes!.map((v) => v.name)).not.toContain('host-local-net-dir');
    }
  });

  it('bgp: BIRD and its probes stay, still no overlay and host-local IPAM', () => {
    expect(calicoConfig(bgp).calico_backend).toBe('bird');
    expect(nodeEnv(bgp)).toMatchObject({ CLUSTER_TYPE: 'k8s,bgp', CALICO_IPV4POOL_IPIP: 'Never', CALICO_IPV4POOL_VXLAN: 'Never' });
    expect(nodeContainer(bgp).readinessProbe!.exec!.command).toContain('-bird-ready');
    expect(calicoConfig(bgp).cni_network_config).toContain('"subnet": "usePodCidr"');
  });

  it('points every Calico image at the configured registry, and only when one is set', () => {
    const local = rewriteCalicoManifest(objs, { poolCIDR: '10.244.0.0/16', version: 'v3.28.2', imageRegistry: 'fedfeat.local' });
    const images = (o: KubeObject[]) => (o.filter((x) => x.kind === 'DaemonSet' || x.kind === 'Deployment') as W[])
      .flatMap((w) => [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])].map((c) => c.image!));
    expect(new Set(images(local))).toEqual(new Set(['fedfeat.local/calico/cni:v3.28.2', 'fedfeat.local/calico/node:v3.28.2', 'fedfeat.local/calico/kube-controllers:v3.28.2']));
    expect(images(cloud).every((i) => i.startsWith('docker.io/calico/'))).toBe(true);
  });

  it('labels every object as fedfeat\'s, puts CRDs first and leaves the input untouched', () => {
    expect(cloud).toHaveLength(objs.length);
    for (const o of cloud) expect(o.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('fedfeat');
    const firstNonCrd = cloud.findIndex((o) => o.kind !== 'CustomResourceDefinition');
    expect(cloud.slice(firstNonCrd).some((o) => o.kind === 'CustomResourceDefinition')).toBe(false);
    expect(nodeEnv(objs).CALICO_IPV4POOL_IPIP).toBe('Always');
  });

  it('never sets a pool of 0.0.0.0/0', () => {
    expect(() => rewriteCalicoManifest(objs, { poolCIDR: '0.0.0.0/0', version: 'v3.28.2' })).toThrow(/covers every address/);
  });

  it('reads YAML as Kubernetes does (YAML 1.1): defaultMode 0400 is octal 256, not 400', () => {
    const extra = `---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: x, namespace: kube-system}
spec:
  template:
    spec:
      containers: [{name: a, image: b}]
      volumes:
      - name: s
        secret: {secretName: s, defaultMode: 0400}
`;
    const parsed = parseManifest(officialManifest() + extra);
    const x = parsed.find((o) => o.metadata.name === 'x') as W;
    expect(x.spec.template.spec.volumes![0]!.secret!.defaultMode).toBe(256);
  });
});

describe('Calico manifest rewrite (shape checks)', () => {
  const objs = parseManifest(calicoLikeManifest());
  it('refuses manifests that are not the Calico manifest install', () => {
    const noDs = objs.filter((o) => o.kind !== 'DaemonSet');
    expect(() => rewriteCalicoManifest(noDs, { poolCIDR: '10.0.0.0/8', version: 'x' })).toThrow(/no DaemonSet calico-node/);
    const noCm = objs.filter((o) => o.kind !== 'ConfigMap');
    expect(() => rewriteCalicoManifest(noCm, { poolCIDR: '10.0.0.0/8', version: 'x' })).toThrow(/no ConfigMap calico-config/);
    expect(() => parseManifest('a: [')).toThrow(/not valid YAML/);
    expect(() => hostLocalCniConfig('{"plugins":[{"type":"flannel"}]}')).toThrow(/no plugin of type "calico"/);
  });

  it('replaces the registry part of an image name only', () => {
    expect(imageFrom('docker.io/calico/node:v3.28.2', 'fedfeat.local')).toBe('fedfeat.local/calico/node:v3.28.2');
    expect(imageFrom('calico/node:v3.28.2', 'mirror.example:5000/x/')).toBe('mirror.example:5000/x/calico/node:v3.28.2');
    expect(imageFrom('quay.io/calico/cni:v3.28.2', 'r.example')).toBe('r.example/calico/cni:v3.28.2');
  });
});
