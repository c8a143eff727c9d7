// The controller against the real local federation: two replicas of the real
// process (leader election), acting with the least-privilege ServiceAccount of
// manifests/rbac, probing real member API servers.
import type { FeatureConfig, FeatureStatus } from '../../api/featureconfig.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../../api/kubefed.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { startComponent, stopComponent } from '../../local-federation/components.js';
import { freePort } from '../../local-federation/free-port.js';
import { controllerKubeconfig, installHostManifests, kubectl, startController, type ControllerProcess } from './controller-process.js';
import { adminClient, eventually, federation, TEST_FEDERATION } from './federation.js';

const FC = (name: string) => resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, name);
const FCS = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs');
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-federation-system/leases/fedfeat-controller';

type Lease = KubeObject & { spec: { holderIdentity?: string } };

describe('controller', () => {
  let host: KubeClient;
  const replicas: ControllerProcess[] = [];

  const feature = (fc: FeatureConfig | undefined, cluster: string, name: string): FeatureStatus | undefined =>
    fc?.status?.clusters?.find((c) => c.name === cluster)?.features.find((f) => f.name === name);
  const getFc = (name: string) => host.getOptional<FeatureConfig>(FC(name));
  const events = async (name: string) => (await host.list<KubeObject & { reason: string; message: string; involvedObject: { name: string } }>(
    '/api/v1/namespaces/default/events', { query: { fieldSelector: `involvedObject.name=${name}` } })).items;
  const applyFc = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) =>
    host.apply(FC(name), { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name, labels }, spec } as KubeObject, 'fedfeat-test');

  beforeAll(async () => {
    installHostManifests();
    host = await adminClient('host');
    const kubeconfig = await controllerKubeconfig(host);
    for (const id of ['replica-a', 'replica-b']) replicas.push(await startController(kubeconfig, id, await freePort()));
  });

  afterAll(async () => {
    for (const name of ['cpumanagementpolicy', 'inform-only', 'revert-me']) {
      await host.delete(FC(name)).catch(() => undefined);
    }
    await eventually('test FeatureConfigs finalized', async () => (await host.list(FCS)).items.length === 0, 60_000).catch(() => undefined);
    await Promise.all(replicas.map((r) => r.stop()));
    host.close();
  });

  it('runs one leader among two replicas', async () => {
    const lease = await eventually('a lease holder', async () => (await host.getOptional<Lease>(LEASE))?.spec.holderIdentity, 30_000);
    expect(['replica-a', 'replica-b']).toContain(lease);
    const gauges = await Promise.all(replicas.map(async (r) => /^fedfeat_leader (\d)$/m.exec(await r.metrics())?.[1]));
    expect(gauges.sort()).toEqual(['0', '1']);
  });

  it("reports every member's features for the paper's Listing 1", async () => {
    await applyFc('cpumanagementpolicy', { cpumanagementpolicy: 'static', podpreset: true, networkpolicy: true });
    const fc = await eventually('status for all 3 members', async () => {
      const f = await getFc('cpumanagementpolicy');
      return f?.status?.observedGeneration === f?.metadata.generation && f?.status?.clusters?.every((c) => c.features.length === 3) && f.status.clusters.length === 3 ? f : undefined;
    }, 90_000);
    expect(fc.metadata.finalizers).toContain('feature.kubefed.io/cleanup');
    for (const m of ['member-1', 'member-2', 'member-3']) {
      expect(feature(fc, m, 'podpreset')).toMatchObject({ state: 'Missing', reason: 'APINotServed' });
      expect(feature(fc, m, 'networkpolicy')).toMatchObject({ state: 'Missing', reason: 'NoPolicyCapableCNI' });
    }
    // member-1 has the real kubelet (when this machine allows one): its live /configz says cpuManagerPolicy none.
    const realNode = federation().realNode;
    expect(feature(fc, 'member-1', 'cpumanagementpolicy')).toMatchObject(realNode
      ? { state: 'Missing', reason: 'KubeletConfigDiffers' }
      : { state: 'Unknown', reason: 'NoKubeletToProbe' });
    if (realNode) expect(feature(fc, 'member-1', 'cpumanagementpolicy')!.message).toContain(`${realNode.nodeName}: cpuManagerPolicy is none, want static`);
    expect(feature(fc, 'member-2', 'cpumanagementpolicy')).toMatchObject({ state: 'Unknown', reason: 'NoKubeletToProbe' });
    const ready = fc.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', observedGeneration: fc.metadata.generation });
    expect(fc.status!.clusterSummary).toBe('0/3');

    const table = kubectl(['get', 'featureconfig', 'cpumanagementpolicy']);
    expect(table).toMatch(/NAME\s+READY\s+CLUSTERS\s+MODE\s+AGE/);
    expect(table).toMatch(/cpumanagementpolicy\s+False\s+0\/3\s+enforce/);
    const described = await eventually('Detected events', async () => {
      const d = kubectl(['describe', 'featureconfig', 'cpumanagementpolicy']);
      return /Detected .*cluster=member-2 feature=podpreset/.test(d) ? d : undefined;
    }, 30_000);
    expect(described).toMatch(/Events:/);
  });

  it('writes KubeFed-style health conditions on each KubeFedCluster', async () => {
    const kfc = await eventually('Ready condition on member-2', async () => {
      const k = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-2'));
      return k.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? k : undefined;
    }, 30_000);
    expect(kfc.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'ClusterReady' });
  });

  it('notices a feature that appears on a member, and reports its removal as drift', async () => {
    const m2 = await adminClient('member-2');
    const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io';
    try {
      // Someone installs a PodPreset API by hand on member-2 only.
      await m2.apply(crdPath, {
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
        metadata: { name: 'podpresets.settings.k8s.io', annotations: { 'api-approved.kubernetes.io': 'unapproved, test fixture' } },
        spec: {
          group: 'settings.k8s.io', scope: 'Namespaced', names: { plural: 'podpresets', singular: 'podpreset', kind: 'PodPreset' },
          versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      } as KubeObject, 'someone-by-hand');
      const fc = await eventually('podpreset Supported on member-2', async () => {
        const f = await getFc('cpumanagementpolicy');
        return feature(f, 'member-2', 'podpreset')?.state === 'Supported' ? f : undefined;
      }, 60_000);
      expect(feature(fc, 'member-1', 'podpreset')?.state).toBe('Missing');
      expect(feature(fc, 'member-3', 'podpreset')?.state).toBe('Missing');

      await m2.delete(crdPath);
      await eventually('podpreset Missing again on member-2', async () => feature(await getFc('cpumanagementpolicy'), 'member-2', 'podpreset')?.state === 'Missing', 60_000);
      const drift = await eventually('a Drift event', async () => (await events('cpumanagementpolicy')).find((e) => e.reason === 'Drift' && e.message.includes('member-2')), 30_000);
      expect(drift.message).toContain('feature=podpreset');
    } finally {
      await m2.delete(crdPath).catch(() => undefined);
      m2.close();
    }
  });

  it('honours clusterSelector and inform mode', async () => {
    await applyFc('inform-only', { podpreset: true, mode: 'inform', clusterSelector: { matchLabels: { 'fedfeat.io/member-index': '3' } } });
    const fc = await eventually('inform-only status', async () => {
      const f = await getFc('inform-only');
      return f?.status?.clusters?.[0]?.features.length ? f : undefined;
    }, 60_000);
    expect(fc.status!.clusters!.map((c) => c.name)).toEqual(['member-3']);
    expect(feature(fc, 'member-3', 'podpreset')).toMatchObject({ state: 'Missing', reason: 'APINotServed' });
    expect(feature(fc, 'member-3', 'podpreset')!.message).toContain('inform mode: not reconfigured');
    expect(kubectl(['get', 'fc', 'inform-only'])).toMatch(/inform-only\s+False\s+0\/1\s+inform/);
  });

  it('reports an unreachable member as Unknown without holding up the others, and recovers', async () => {
    const stopped = await stopComponent(TEST_FEDERATION, 'member-3/kube-apiserver');
    expect(stopped).not.toBe('not-running');
    try {
      const fc = await eventually('member-3 Unknown', async () => {
        const f = await getFc('cpumanagementpolicy');
        return feature(f, 'member-3', 'podpreset')?.state === 'Unknown' ? f : undefined;
      }, 60_000);
      expect(feature(fc, 'member-3', 'podpreset')).toMatchObject({ reason: 'ClusterOffline' });
      expect(feature(fc, 'member-1', 'podpreset')?.state).toBe('Missing');
      expect(feature(fc, 'member-2', 'podpreset')?.state).toBe('Missing');
      expect(fc.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'MembersUnknown' });
      const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-3'));
      expect(kfc.status!.conditions!.find((c) => c.type === 'Offline')).toMatchObject({ status: 'True' });

      // The others still get reconciled while member-3 is away: a spec change reaches them.
      await applyFc('cpumanagementpolicy', { cpumanagementpolicy: 'static', podpreset: true, networkpolicy: false });
      const next = await eventually('new generation observed on members 1 and 2', async () => {
        const f = await getFc('cpumanagementpolicy');
        const ok = f?.status?.observedGeneration === f?.metadata.generation
          && ['member-1', 'member-2'].every((m) => f?.status?.clusters?.find((c) => c.name === m)?.features.length === 2);
        return ok ? f : undefined;
      }, 60_000);
      expect(feature(next, 'member-3', 'podpreset')?.state).toBe('Unknown');
    } finally {
      startComponent(TEST_FEDERATION, 'member-3/kube-apiserver');
    }
    await eventually('member-3 probed again', async () => feature(await getFc('cpumanagementpolicy'), 'member-3', 'podpreset')?.state === 'Missing', 120_000);
  });

  it('names the problem when a member is registered with bad credentials', async () => {
    const path = resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-broken');
    await host.apply(path, {
      apiVersion: KUBEFED_API_VERSION, kind: 'KubeFedCluster', metadata: { name: 'member-broken', namespace: KUBEFED_NAMESPACE },
      spec: { apiEndpoint: 'https://127.0.0.1:1', secretRef: { name: 'member-broken-token' } },
    } as KubeObject, 'fedfeat-test');
    try {
      const fc = await eventually('member-broken reported', async () => {
        const f = await getFc('cpumanagementpolicy');
        return feature(f, 'member-broken', 'podpreset') ? f : undefined;
      }, 60_000);
      expect(feature(fc, 'member-broken', 'podpreset')).toMatchObject({ state: 'Unknown', reason: 'ClusterConfigInvalid' });
      expect(feature(fc, 'member-broken', 'podpreset')!.message).toContain('Secret kube-federation-system/member-broken-token not found');
    } finally {
      await host.delete(path);
    }
    await eventually('member-broken gone from status', async () => {
      const f = await getFc('cpumanagementpolicy');
      return f?.status?.clusters?.length === 3;
    }, 60_000);
  });

  it('hands over to the standby when the leader dies, and the standby carries on', async () => {
    const holder = (await host.get<Lease>(LEASE)).spec.holderIdentity;
    const old = replicas.find((r) => r.identity === holder)!;
    const standby = replicas.find((r) => r.identity !== holder)!;
    await old.stop('SIGKILL'); // no release: the standby must wait out the lease
    await eventually('standby holds the lease', async () => (await host.get<Lease>(LEASE)).spec.holderIdentity === standby.identity, 60_000);
    await applyFc('cpumanagementpolicy', { cpumanagementpolicy: 'static', podpreset: true, networkpolicy: true });
    await eventually('new leader reconciles the new generation', async () => {
      const f = await getFc('cpumanagementpolicy');
      return f?.status?.observedGeneration === f?.metadata.generation && f?.status?.clusters?.every((c) => c.features.length === 3);
    }, 90_000);
    expect(/^fedfeat_leader 1$/m.test(await standby.metrics())).toBe(true);
  });

  it('removes the finalizer on delete (Revert with nothing to undo) and says so', async () => {
    await applyFc('revert-me', { podpreset: true, deletionPolicy: 'Revert' });
    await eventually('finalizer added', async () => (await getFc('revert-me'))?.metadata.finalizers?.includes('feature.kubefed.io/cleanup'), 60_000);
    await host.delete(FC('revert-me'));
    await eventually('revert-me deleted', async () => (await getFc('revert-me')) === undefined, 60_000);
    const evs = await eventually('Reverted events', async () => {
      const e = (await events('revert-me')).filter((x) => x.reason === 'Reverted');
      return e.length >= 3 ? e : undefined;
    }, 30_000);
    expect(evs.map((e) => e.message).join('\n')).toContain('nothing to revert');
  });

});
