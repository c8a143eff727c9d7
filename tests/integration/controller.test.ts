// The controller against the real local federation: two replicas of the real
// process (leader election), acting with the least-privilege ServiceAccount of
// manifests/rbac, probing and reconfiguring real member API servers.
import { execFileSync } from 'node:child_process';
import { ccoordPath, type ClusterCoordinateObject } from '../../api/cluster-coordinate.js';
import { listClusterFeatureStatuses, toClusterResult } from '../../api/cluster-feature-status.js';
import type { ClusterFeatureStatus, FeatureConfig, FeatureStatus } from '../../api/featureconfig.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../../api/kubefed.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { startComponent, stopComponent } from '../../local-federation/components.js';
import { freePort } from '../../local-federation/free-port.js';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { calicoLikeManifest } from '../../local-federation/calico-standin.js';
import { controllerKubeconfig, installHostManifests, kubectl, startController, type ControllerProcess } from './controller-process.js';
import { adminClient, cluster, eventually, federation, tacticNamespace, TEST_FEDERATION } from './federation.js';
import { sleep } from '../../kube-client/wait.js';

const FC = (name: string) => resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, name);
const FCS = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs');
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-federation-system/leases/fedfeat-controller';
const MEMBERS = ['member-1', 'member-2', 'member-3'];
const LISTING_1 = { cpumanagementpolicy: 'static', podpreset: true, networkpolicy: true };

type Lease = KubeObject & { spec: { holderIdentity?: string; renewTime?: string } };
/** A FeatureConfig with its members' results, read from their ClusterFeatureStatus objects. */
type FcView = FeatureConfig & { members: ClusterFeatureStatus[] };

describe('controller', () => {
  let host: KubeClient;
  const replicas: ControllerProcess[] = [];
  // A Calico "mirror" (no internet here): a Calico-shaped manifest whose containers only sleep.
  let mirror: http.Server;
  let controllerArgs: string[];

  const feature = (fc: FcView | undefined, cluster: string, name: string): FeatureStatus | undefined =>
    fc?.members.find((c) => c.name === cluster)?.features.find((f) => f.name === name);
  const getFc = async (name: string): Promise<FcView | undefined> => {
    const fc = await host.getOptional<FeatureConfig>(FC(name));
    if (!fc) return undefined;
    const mine = (await listClusterFeatureStatuses(host, name)).filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === fc.metadata.uid));
    return { ...fc, members: mine.map(toClusterResult) };
  };
  const events = async (name: string) => (await host.list<KubeObject & { reason: string; message: string }>(
    '/api/v1/namespaces/default/events', { query: { fieldSelector: `involvedObject.name=${name}` } })).items;
  const applyFc = (name: string, spec: Record<string, unknown>) =>
    host.apply(FC(name), { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name }, spec } as KubeObject, 'fedfeat-test');
  const current = (f: FeatureConfig | undefined): f is FcView => f !== undefined && f.status?.observedGeneration === f.metadata.generation;
  const onMember = async <T>(name: string, fn: (c: KubeClient) => Promise<T>): Promise<T> => {
    const c = await adminClient(name);
    try {
      return await fn(c);
    } finally {
      c.close();
    }
  };

  beforeAll(async () => {
    installHostManifests();
    host = await adminClient('host');
    const manifest = calicoLikeManifest();
    mirror = http.createServer((_q, res) => res.end(manifest));
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    controllerArgs = ['--verify-timeout-seconds', '30', '--calico-manifest-url', `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/calico.yaml`];
    const kubeconfig = await controllerKubeconfig(host);
    for (const id of ['replica-a', 'replica-b']) {
      replicas.push(await startController(kubeconfig, id, await freePort(), controllerArgs));
    }
  });

  afterAll(async () => {
    for (const fc of (await host.list(FCS)).items) await host.delete(FC(fc.metadata.name)).catch(() => undefined);
    await eventually('test FeatureConfigs finalized', async () => (await host.list(FCS)).items.length === 0, 120_000).catch(() => undefined);
    await Promise.all(replicas.map((r) => r.stop()));
    host.close();
    mirror.close();
  });

  it('runs one leader among two replicas', async () => {
    const lease = await eventually('a lease holder', async () => (await host.getOptional<Lease>(LEASE))?.spec.holderIdentity, 30_000);
    expect(['replica-a', 'replica-b']).toContain(lease);
    const gauges = await Promise.all(replicas.map(async (r) => /^fedfeat_leader (\d)$/m.exec(await r.metrics())?.[1]));
    expect(gauges.sort()).toEqual(['0', '1']);
  });

  it("reports every member's features for the paper's Listing 1 in inform mode, changing nothing", async () => {
    await applyFc('inform-listing-1', { ...LISTING_1, mode: 'inform' });
    const fc = await eventually('status for all 3 members', async () => {
      const f = await getFc('inform-listing-1');
      // The per-member objects are written before the FeatureConfig's status counts them: wait for both.
      return current(f) && f!.members.length === 3 && f!.members.every((c) => c.features.length === 3) && f!.status?.members?.reported === 3 ? f : undefined;
    }, 90_000);
    expect(fc.metadata.finalizers).toContain('feature.kubefed.io/cleanup');
    for (const m of MEMBERS) {
      expect(feature(fc, m, 'podpreset')).toMatchObject({ state: 'Missing', reason: 'APINotServed' });
      expect(feature(fc, m, 'podpreset')!.message).toContain('inform mode: not reconfigured');
      expect(feature(fc, m, 'networkpolicy')).toMatchObject({ state: 'Missing', reason: 'NoPolicyCapableCNI' });
    }
    // member-1 has real kubelets (when this machine allows them): their live /configz says cpuManagerPolicy none.
    const realNode = federation().realNodes?.[0];
    expect(feature(fc, 'member-1', 'cpumanagementpolicy')).toMatchObject(realNode
      ? { state: 'Missing', reason: 'KubeletConfigDiffers' }
      : { state: 'Unknown', reason: 'NoKubeletToProbe' });
    if (realNode) expect(feature(fc, 'member-1', 'cpumanagementpolicy')!.message).toContain(`${realNode.nodeName}: cpuManagerPolicy is none, want static`);
    expect(feature(fc, 'member-2', 'cpumanagementpolicy')).toMatchObject({ state: 'Unknown', reason: 'NoKubeletToProbe' });
    expect(fc.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', observedGeneration: fc.metadata.generation });
    expect(fc.status!.clusterSummary).toBe('0/3');

    const table = kubectl(['get', 'featureconfig', 'inform-listing-1']);
    expect(table).toMatch(/NAME\s+READY\s+CLUSTERS\s+FAILED\s+MODE\s+AGE/);
    expect(table).toMatch(/inform-listing-1\s+False\s+0\/3\s+0\s+inform/);
    const described = await eventually('Detected events', async () => {
      const d = kubectl(['describe', 'featureconfig', 'inform-listing-1']);
      return /Detected .*cluster=member-2 feature=podpreset/.test(d) ? d : undefined;
    }, 30_000);
    expect(described).toMatch(/Events:/);
    // Inform mode made no change: fedfeat's namespace is on no member.
    for (const m of MEMBERS) expect(await onMember(m, (c) => tacticNamespace(c, 'fedfeat-system'))).toBeUndefined();
  });

  it('writes KubeFed-style health conditions on each KubeFedCluster', async () => {
    const kfc = await eventually('Ready condition on member-2', async () => {
      const k = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-2'));
      return k.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? k : undefined;
    }, 30_000);
    expect(kfc.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ reason: 'ClusterReady' });
  });

  it("learns each member's network coordinate from its health probes (ClusterCoordinate, kubectl, fedfeat status)", async () => {
    const coords = await eventually('a ClusterCoordinate for every member', async () => {
      const items = (await host.list<ClusterCoordinateObject>(ccoordPath())).items.filter((o) => MEMBERS.includes(o.cluster));
      return items.length === MEMBERS.length ? items : undefined;
    }, 30_000);
    for (const o of coords) {
      const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, o.cluster));
      expect(o.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'KubeFedCluster', name: o.cluster, uid: kfc.metadata.uid });
      expect(o.source).toBe('host');
      expect(o.coordinate.vec).toHaveLength(8);
      // loopback API servers on this machine: a /healthz round trip well under a second, never zero
      expect(o.measuredRTTMilliseconds).toBeGreaterThan(0);
      expect(o.measuredRTTMilliseconds).toBeLessThan(1000);
      expect(o.samples).toBeGreaterThanOrEqual(1);
    }
    expect(kubectl(['get', 'clustercoordinates', '-n', KUBEFED_NAMESPACE])).toMatch(/NAME\s+CLUSTER\s+RTT-MS\s+PREDICTED-MS\s+ERROR\s+UPDATED/);
    const status = execFileSync(process.execPath, ['bin/fedfeat.js', 'status', '--kubeconfig', cluster('host').kubeconfig], { encoding: 'utf8' });
    expect(status).toContain('network coordinates');
    for (const m of MEMBERS) expect(status).toMatch(new RegExp(`^${m}\\s+[0-9.]+\\s+[0-9.]+`, 'm'));
  });

  it('re-probes when a member changes: an API installed by hand on one member is seen there only', async () => {
    const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io';
    await onMember('member-2', async (m2) => {
      try {
        await m2.apply(crdPath, {
          apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
          metadata: { name: 'podpresets.settings.k8s.io', annotations: { 'api-approved.kubernetes.io': 'unapproved, test fixture' } },
          spec: {
            group: 'settings.k8s.io', scope: 'Namespaced', names: { plural: 'podpresets', singular: 'podpreset', kind: 'PodPreset' },
            versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
          },
        } as KubeObject, 'someone-by-hand');
        // The API alone is not the feature: without the webhook presets would never be applied.
        const fc = await eventually('member-2 seen with the API but no webhook', async () => {
          const f = await getFc('inform-listing-1');
          return feature(f, 'member-2', 'podpreset')?.reason === 'WebhookNotConfigured' ? f : undefined;
        }, 60_000);
        expect(feature(fc, 'member-1', 'podpreset')?.reason).toBe('APINotServed');
        await m2.delete(crdPath);
        await eventually('member-2 back to APINotServed', async () => feature(await getFc('inform-listing-1'), 'member-2', 'podpreset')?.reason === 'APINotServed', 60_000);
      } finally {
        await m2.delete(crdPath).catch(() => undefined);
      }
    });
  });

  it('sees a feature installed by hand as Supported on that member only', async () => {
    const dsPath = '/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node';
    await onMember('member-2', async (m2) => {
      try {
        // A policy-capable CNI's DaemonSet, Ready on every (KWOK) node of member-2.
        await m2.apply(dsPath, {
          apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'calico-node', namespace: 'kube-system' },
          spec: {
            selector: { matchLabels: { 'k8s-app': 'calico-node' } },
            template: { metadata: { labels: { 'k8s-app': 'calico-node' } }, spec: { containers: [{ name: 'calico-node', image: 'fedfeat.local/tools:1.0' }] } },
          },
        } as KubeObject, 'someone-by-hand');
        const fc = await eventually('networkpolicy Supported on member-2', async () => {
          const f = await getFc('inform-listing-1');
          return feature(f, 'member-2', 'networkpolicy')?.state === 'Supported' ? f : undefined;
        }, 90_000);
        expect(feature(fc, 'member-2', 'networkpolicy')).toMatchObject({ reason: 'PolicyCapableCNIReady' });
        expect(feature(fc, 'member-1', 'networkpolicy')?.state).toBe('Missing');
        expect(feature(fc, 'member-3', 'networkpolicy')?.state).toBe('Missing');
        await m2.delete(dsPath);
        await eventually('networkpolicy Missing again on member-2', async () => feature(await getFc('inform-listing-1'), 'member-2', 'networkpolicy')?.state === 'Missing', 60_000);
        const drift = await eventually('a Drift event', async () => (await events('inform-listing-1')).find((e) => e.reason === 'Drift' && e.message.includes('cluster=member-2')), 30_000);
        expect(drift.message).toContain('feature=networkpolicy');
      } finally {
        await m2.delete(dsPath).catch(() => undefined);
      }
    });
  });

  it('honours clusterSelector', async () => {
    await applyFc('selected', { podpreset: true, mode: 'inform', clusterSelector: { matchLabels: { 'fedfeat.io/member-index': '3' } } });
    const fc = await eventually('selected status', async () => {
      const f = await getFc('selected');
      // The per-member object is written before the FeatureConfig's status counts it: wait for both.
      return f?.members[0]?.features.length && f.status?.members?.reported ? f : undefined;
    }, 60_000);
    expect(fc.members.map((c) => c.name)).toEqual(['member-3']);
    expect(fc.status!.members).toMatchObject({ selected: 1, reported: 1 });
    expect(kubectl(['get', 'fc', 'selected'])).toMatch(/selected\s+False\s+0\/1\s+0\s+inform/);
  });

  it('enforces Listing 1 canary first: a failing canary stops the rollout, a healthy one lets it go on one member at a time', async () => {
    // The canary's webhook endpoint is down, so its install cannot be verified.
    await stopComponent(TEST_FEDERATION, 'member-3/podpreset-webhook');
    await applyFc('cpumanagementpolicy', { ...LISTING_1, deletionPolicy: 'Revert', rollout: { canarySelector: { matchLabels: { 'fedfeat.io/member-index': '3' } } } });
    try {
      const halted = await eventually('canary Failed', async () => {
        const f = await getFc('cpumanagementpolicy');
        return feature(f, 'member-3', 'podpreset')?.state === 'Failed' ? f : undefined;
      }, 120_000);
      expect(feature(halted, 'member-3', 'podpreset')!.reason).toBe('VerifyTimeout');
      expect(halted.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'ReconfigurationFailed' });
      // The others stay untouched: halted after the failure, or waiting while the canary retries.
      await sleep(5000);
      const later = await getFc('cpumanagementpolicy');
      for (const m of ['member-1', 'member-2']) expect(['RolloutHalted', 'WaitingForCanary']).toContain(feature(later, m, 'podpreset')?.reason);
      expect(['member-1', 'member-2'].some((m) => feature(later, m, 'podpreset')?.reason === 'RolloutHalted')
        || (await events('cpumanagementpolicy')).some((e) => e.message.includes('RolloutHalted'))).toBe(true);
      for (const m of ['member-1', 'member-2']) expect(await onMember(m, (c) => tacticNamespace(c, 'fedfeat-system'))).toBeUndefined();
      // Both replicas killed and started again: the new leader rebuilds its view from the ClusterFeatureStatus
      // objects, so the halt still holds (no other member touched) and is still reported.
      const kubeconfig = replicas[0]!.kubeconfig;
      await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
      await host.delete(LEASE); // no waiting out the dead leader's lease
      for (const [i, r] of [...replicas].entries()) replicas.splice(i, 1, await startController(kubeconfig, r.identity, await freePort(), controllerArgs));
      await eventually('a restarted replica leads', async () => (await Promise.all(replicas.map((r) => r.metrics().catch(() => '')))).some((m) => /^fedfeat_leader 1$/m.test(m)), 60_000);
      // (The first start of these replicas found no stored results: this line is the restart's.)
      const leader = await eventually('the new leader restored the stored results', async () =>
        replicas.find((r) => /restored member results from ClusterFeatureStatus objects/.test(readFileSync(r.logFile, 'utf8'))), 60_000);
      expect(leader).toBeDefined();
      await sleep(8000);
      const after = await getFc('cpumanagementpolicy');
      // The canary may be retrying (its own failure does not block it); the others stay held back.
      expect(['Failed', 'Reconfiguring']).toContain(feature(after, 'member-3', 'podpreset')?.state);
      for (const m of ['member-1', 'member-2']) expect(['RolloutHalted', 'WaitingForCanary']).toContain(feature(after, m, 'podpreset')?.reason);
      for (const m of ['member-1', 'member-2']) expect(await onMember(m, (c) => tacticNamespace(c, 'fedfeat-system'))).toBeUndefined();
    } finally {
      startComponent(TEST_FEDERATION, 'member-3/podpreset-webhook');
    }
    const firstSupported = new Map<string, number>();
    let polls = 0;
    let maxReconfiguring = 0;
    const fc = await eventually('podpreset Supported on all members', async () => {
      const f = await getFc('cpumanagementpolicy');
      polls++;
      maxReconfiguring = Math.max(maxReconfiguring, MEMBERS.filter((m) => feature(f, m, 'podpreset')?.state === 'Reconfiguring').length);
      for (const m of MEMBERS) if (feature(f, m, 'podpreset')?.state === 'Supported' && !firstSupported.has(m)) firstSupported.set(m, polls);
      return current(f) && MEMBERS.every((m) => feature(f, m, 'podpreset')?.state === 'Supported') ? f : undefined;
    }, 240_000);
    // The canary (member-3) was done before any other member, and never two at once.
    expect(firstSupported.get('member-3')!).toBeLessThan(Math.min(firstSupported.get('member-1')!, firstSupported.get('member-2')!));
    expect(maxReconfiguring).toBeLessThanOrEqual(1);
    for (const m of MEMBERS) expect(feature(fc, m, 'podpreset')!.reason).toBe('APIServedAndWebhookAnswering');
    // networkpolicy rolls out on its own (Calico from the mirror), unaffected by the podpreset canary's failure.
    const withCalico = await eventually('networkpolicy Supported on all members', async () => {
      const f = await getFc('cpumanagementpolicy');
      return MEMBERS.every((m) => feature(f, m, 'networkpolicy')?.state === 'Supported') ? f : undefined;
    }, 180_000);
    expect(feature(withCalico, 'member-2', 'networkpolicy')!.reason).toBe('PolicyCapableCNIReady');
    expect(feature(withCalico, 'member-2', 'networkpolicy')).toBeDefined();
    // The kubelet tactic restarts member-1's real kubelets with the static CPU manager policy (KWOK-only members have no kubelet to change).
    if (federation().realNodes?.length) {
      await eventually('cpumanagementpolicy Supported on member-1', async () => feature(await getFc('cpumanagementpolicy'), 'member-1', 'cpumanagementpolicy')?.state === 'Supported', 240_000);
    }
    expect(feature(await getFc('cpumanagementpolicy'), 'member-2', 'cpumanagementpolicy')).toMatchObject({ state: 'Unknown', reason: 'NoKubeletToProbe' });
    const evs = await events('cpumanagementpolicy');
    expect(evs.filter((e) => e.reason === 'Reconfiguring' && e.message.includes('feature=podpreset')).length).toBeGreaterThanOrEqual(3);
    // The inform FeatureConfig sees the same members and now reports the feature there.
    await eventually('inform view updated', async () => feature(await getFc('inform-listing-1'), 'member-1', 'podpreset')?.state === 'Supported', 90_000);
  }, 700_000);

  it('reports an unreachable member as Unknown without holding up the others, and recovers', async () => {
    const stopped = await stopComponent(TEST_FEDERATION, 'member-3/kube-apiserver');
    expect(stopped).not.toBe('not-running');
    try {
      const fc = await eventually('member-3 Unknown', async () => {
        const f = await getFc('cpumanagementpolicy');
        return feature(f, 'member-3', 'podpreset')?.state === 'Unknown' ? f : undefined;
      }, 60_000);
      expect(feature(fc, 'member-3', 'podpreset')).toMatchObject({ reason: 'ClusterOffline' });
      expect(feature(fc, 'member-1', 'podpreset')?.state).toBe('Supported');
      expect(fc.status!.conditions!.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'MembersUnknown' });
      const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-3'));
      expect(kfc.status!.conditions!.find((c) => c.type === 'Offline')).toMatchObject({ status: 'True' });

      // The others still get reconciled while member-3 is away: a spec change reaches them.
      await applyFc('cpumanagementpolicy', { ...LISTING_1, networkpolicy: false, deletionPolicy: 'Revert' });
      const next = await eventually('new generation observed on members 1 and 2', async () => {
        const f = await getFc('cpumanagementpolicy');
        return current(f) && ['member-1', 'member-2'].every((m) => f!.members.find((c) => c.name === m)?.features.length === 2) ? f : undefined;
      }, 60_000);
      expect(feature(next, 'member-3', 'podpreset')?.state).toBe('Unknown');
    } finally {
      startComponent(TEST_FEDERATION, 'member-3/kube-apiserver');
    }
    await eventually('member-3 probed again', async () => feature(await getFc('cpumanagementpolicy'), 'member-3', 'podpreset')?.state === 'Supported', 120_000);
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
    await eventually('member-broken gone from status', async () => (await getFc('cpumanagementpolicy'))?.members.length === 3, 60_000);
  });

  it('hands over to the standby when the leader dies, and the standby carries on', async () => {
    const holder = (await host.get<Lease>(LEASE)).spec.holderIdentity;
    const old = replicas.find((r) => r.identity === holder)!;
    const standby = replicas.find((r) => r.identity !== holder)!;
    // Work for the leader: a new generation, and member-1's webhook configuration removed (drift to repair).
    await applyFc('cpumanagementpolicy', { ...LISTING_1, deletionPolicy: 'Revert' });
    await onMember('member-1', (c) => c.delete('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset'));
    await old.stop('SIGKILL'); // mid-reconcile, and no lease release: the standby must wait it out
    await eventually('standby holds the lease', async () => (await host.get<Lease>(LEASE)).spec.holderIdentity === standby.identity, 60_000);
    const fc = await eventually('new leader reconciles the new generation and repairs member-1', async () => {
      const f = await getFc('cpumanagementpolicy');
      return current(f) && f!.members.every((c) => c.features.length === 3) && feature(f, 'member-1', 'podpreset')?.state === 'Supported' ? f : undefined;
    }, 120_000);
    expect(feature(fc, 'member-2', 'podpreset')?.state).toBe('Supported');
    expect(/^fedfeat_leader 1$/m.test(await standby.metrics())).toBe(true);
    // The killed replica comes back as a standby: still exactly one leader.
    const restarted = await startController(old.kubeconfig, old.identity, await freePort(), controllerArgs);
    replicas.splice(replicas.indexOf(old), 1, restarted);
    await sleep(5000);
    expect(/^fedfeat_leader 0$/m.test(await restarted.metrics())).toBe(true);
    expect((await host.get<Lease>(LEASE)).spec.holderIdentity).toBe(standby.identity);
  });

  it('reverts on delete with deletionPolicy Revert, leaving no fedfeat object on the members', async () => {
    const started = Date.now();
    await host.delete(FC('cpumanagementpolicy'));
    // Member-1 reverts three tactics on real nodes (kubelet restarts one node at a time, Calico's cleanup on every
    // node): about a minute on an idle machine; a slow CI machine gets room, and a timeout says what was happening.
    // Seen once in a clean-clone run: member-3 (its API server restarted by an earlier test) took 4.5 min to finalize
    // Calico's CRDs (276 s in all); the revert waits for them to be gone.
    await eventually('cpumanagementpolicy deleted', async () => (await getFc('cpumanagementpolicy')) === undefined, 540_000)
      .catch(async (e: Error) => {
        const seen = (await events('cpumanagementpolicy')).filter((ev) => /Revert|Node/.test(ev.reason)).map((ev) => `${ev.reason}: ${ev.message}`);
        throw new Error(`${e.message}\nrevert Events so far:\n${seen.join('\n')}`);
      });
    process.stderr.write(`delete → finalized (3 members, 3 features each) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    for (const m of MEMBERS) {
      await onMember(m, async (c) => {
        expect(await tacticNamespace(c, 'fedfeat-system')).toBeUndefined();
        expect(await tacticNamespace(c, 'fedfeat-node-agent')).toBeUndefined();
        expect(await c.getOptional('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io')).toBeUndefined();
        expect(await c.getOptional('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset')).toBeUndefined();
        expect(await c.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node')).toBeUndefined();
        const leftovers = await c.list('/apis/rbac.authorization.k8s.io/v1/clusterroles', { query: { labelSelector: 'app.kubernetes.io/managed-by=fedfeat' } });
        expect(leftovers.items).toHaveLength(0);
      });
    }
    const reverted = (await events('cpumanagementpolicy')).filter((e) => e.reason === 'Reverted' && e.message.includes('feature=podpreset'));
    expect(reverted.length).toBeGreaterThanOrEqual(3);
    for (const realNode of federation().realNodes ?? []) {
      const cfg = await onMember('member-1', (c) => c.get<{ kubeletconfig: Record<string, unknown> }>(`/api/v1/nodes/${realNode.nodeName}/proxy/configz`));
      expect(cfg.kubeletconfig.cpuManagerPolicy).toBe('none');
    }
    await eventually('inform view sees the API gone', async () => feature(await getFc('inform-listing-1'), 'member-1', 'podpreset')?.reason === 'APINotServed', 90_000);
  }, 700_000);
});
