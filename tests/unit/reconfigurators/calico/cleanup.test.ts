import { cniCleanupDaemonSet } from '../../../../reconfigurators/calico/cleanup.js';
import { parseManifest, rewriteCalicoManifest } from '../../../../reconfigurators/calico/manifest.js';
import { officialManifest, officialManifestMissing } from './official-manifest.js';

type DS = { metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: { template: { spec: {
  hostNetwork: boolean; initContainers: Array<{ image: string; command: string[]; volumeMounts: Array<{ mountPath: string }> }>; volumes: Array<{ hostPath: { path: string } }>;
} } } };

(officialManifestMissing ? describe.skip : describe)('Calico CNI cleanup on revert (official v3.28.2 manifest)', () => {
  it('removes exactly the files install-cni wrote, from the calico-node image, on the host network', () => {
    const objs = rewriteCalicoManifest(parseManifest(officialManifest()), { poolCIDR: '10.244.0.0/16', version: 'v3.28.2', imageRegistry: 'fedfeat.local' });
    const ds = cniCleanupDaemonSet(objs) as unknown as DS;
    expect(ds.metadata).toMatchObject({ name: 'calico-cni-cleanup', namespace: 'kube-system', labels: { 'app.kubernetes.io/managed-by': 'fedfeat' } });
    const pod = ds.spec.template.spec;
    // No CNI needed to start it: Calico's configuration may be the one the runtime would use.
    expect(pod.hostNetwork).toBe(true);
    expect(pod.initContainers[0]!.image).toBe('fedfeat.local/calico/node:v3.28.2');
    expect(pod.initContainers[0]!.command.join(' ')).toBe('/bin/sh -c rm -f /host/net.d/10-calico.conflist /host/net.d/calico-kubeconfig');
    expect(pod.volumes[0]!.hostPath.path).toBe('/etc/cni/net.d');
  });

  it('has nothing to do for objects without calico-node', () => {
    expect(cniCleanupDaemonSet([])).toBeUndefined();
  });
});
