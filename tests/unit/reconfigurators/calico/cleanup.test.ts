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

(officialManifestMissing ? describe.skip : describe)('Felix rules cleanup on revert (official v3.28.2 manifest)', () => {
  it('runs the same DaemonSet again, privileged on the host network, removing only cali- chains and sets', async () => {
    const { felixCleanupDaemonSet, FELIX_CLEANUP_SCRIPT } = await import('../../../../reconfigurators/calico/cleanup.js');
    const objs = rewriteCalicoManifest(parseManifest(officialManifest()), { poolCIDR: '10.244.0.0/16', version: 'v3.28.2', imageRegistry: 'fedfeat.local' });
    const ds = felixCleanupDaemonSet(objs) as unknown as DS & { spec: { template: { spec: { volumes?: unknown; initContainers: Array<{ securityContext?: { privileged?: boolean } }> } } } };
    // The same name as the CNI cleanup: the tactic's role already grants it; revert runs one after the other.
    expect(ds.metadata.name).toBe('calico-cni-cleanup');
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.initContainers).toHaveLength(1);
    expect(pod.initContainers[0]).toMatchObject({ image: 'fedfeat.local/calico/node:v3.28.2', securityContext: { privileged: true } });
    expect(pod.initContainers[0]!.command).toEqual(['/bin/sh', '-c', FELIX_CLEANUP_SCRIPT]);
    expect(pod.volumes).toBeUndefined();
    // Only Felix's: jumps into cali- chains from the built-in chains, cali- chains, cali ipsets.
    expect(FELIX_CLEANUP_SCRIPT).toContain(`grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*(-j cali-|--comment "?cali:)'`);
    expect(FELIX_CLEANUP_SCRIPT).not.toMatch(/KUBE-|iptables-restore|-F\s*$/m);
    // The CNI cleanup's DaemonSet is untouched by rendering the second one.
    expect((cniCleanupDaemonSet(objs) as unknown as DS).spec.template.spec.initContainers[0]!.command.join(' ')).toContain('rm -f');
  });
});
