// FeaturePlacement against the suite's federation (3 members, KWOK nodes of
// 8 CPUs / 32 GiB): the controller process (least-privilege ServiceAccount,
// members reached with their join tokens) places a Deployment only where a
// required feature is Supported, divides it by free capacity (WorstFit), and
// moves a member's replicas elsewhere when the member goes Offline.
// The feature is networkpolicy in inform mode: a policy-capable CNI
// DaemonSet (named as Cilium's) Ready on members 2 and 3 makes it Supported
// there; member-1 has none. Then: the feature lost on a member where
// replicas run (its CNI DaemonSet deleted by hand) moves exactly those
// replicas, never below the Ready count; ensureFeatures enforcing PodPreset
// on a member through a FeatureConfig the placement owns; and the static CPU
// manager policy on one of member-1's real nodes pinning the pods to it.
import type { FeaturePlacement } from '../../api/featureplacement.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { startComponent, stopComponent } from '../../local-federation/components.js';
import { freePort } from '../../local-federation/free-port.js';
import { PLACEMENT_NAMESPACE } from '../../local-federation/registration.js';
import { listClusterFeatureStatuses } from '../../api/cluster-feature-status.js';
import { controllerKubeconfig, installHostManifests, kubectl, kubectlResult, startController, type ControllerProcess } from './controller-process.js';
import { adminClient, deleteNamespace, ensureNamespace, eventually, itRealNode, memberContext, TEST_FEDERATION } from './federation.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator } from '../../reconfigurators/podpreset/reconfigurator.js';
import { KubeletConfigReconfigurator } from '../../reconfigurators/kubelet-config/reconfigurator.js';
import type { MemberContext } from '../../reconfigurators/types.js';

const NS = PLACEMENT_NAMESPACE;
const FC_NAME = 'placement-e2e-networkpolicy';
const FP_NAME = 'placement-e2e';
const FC = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, FC_NAME);
const FP = resourcePath('feature.kubefed.io/v1alpha1', 'featureplacements', NS, FP_NAME);
const DEPLOYMENT = `/apis/apps/v1/namespaces/${NS}/deployments/${FP_NAME}`;
const CNI = '/apis/apps/v1/namespaces/kube-system/daemonsets/cilium';
const BALLAST = `/apis/apps/v1/namespaces/${NS}/deployments/placement-e2e-ballast`;
const MANAGER = 'fedfeat-test';
const TOOLS = 'fedfeat.local/tools:1.0';

type Pod = KubeObject & { spec: { nodeName?: string }; status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };
type Deployment = KubeObject & { spec: { replicas: number }; status?: { readyReplicas?: number } };

const cniDaemonSet = {
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'cilium', namespace: 'kube-system', labels: { 'fedfeat.io/test': 'placement' } },
  spec: {
    selector: { matchLabels: { app: 'placement-e2e-cni' } },
    template: { metadata: { labels: { app: 'placement-e2e-cni' } }, spec: { containers: [{ name: 'agent', image: TOOLS, command: ['sleep', '3600'] }] } },
  },
};

const deployment = (name: string, replicas: number, cpu: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name, namespace: NS, labels: { 'fedfeat.io/test': 'placement' } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: TOOLS, command: ['sleep', '3600'], resources: { requests: { cpu, memory: '1Gi' } } }] } },
  },
});

describe('FeaturePlacement', () => {
  let host: KubeClient;
  const members: Record<string, KubeClient> = {};
  let controller: ControllerProcess | undefined;
  let createdHostNs = false;

  const fp = () => host.get<FeaturePlacement>(FP);
  const memberDeployment = (m: string) => members[m]!.getOptional<Deployment>(DEPLOYMENT);
  /**
   * The earlier tests stop member-3's API server; its garbage collector can miss a Deployment delete made around
   * that and keep the old ReplicaSet and its Ready pods (seen: an owner that no longer exists, minutes later, the
   * pods still carrying the placement's label). The test collects them itself: the ReplicaSets whose Deployment
   * is gone, and exactly their pods.
   */
  const collectOrphans = async () => {
    for (const m of ['member-2', 'member-3']) {
      const c = members[m]!;
      const deployments = new Set((await c.list<Deployment>(`/apis/apps/v1/namespaces/${NS}/deployments`)).items.map((d) => d.metadata.uid));
      const orphans = (await c.list<KubeObject>(`/apis/apps/v1/namespaces/${NS}/replicasets`)).items
        .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && !deployments.has(o.uid as string)));
      for (const rs of orphans) {
        await c.delete(`/apis/apps/v1/namespaces/${NS}/replicasets/${rs.metadata.name}`).catch(() => undefined);
        for (const pod of (await c.list<Pod>(`/api/v1/namespaces/${NS}/pods`)).items) {
          if (pod.metadata.ownerReferences?.some((o) => o.uid === rs.metadata.uid)) await c.delete(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`).catch(() => undefined);
        }
      }
    }
  };
  /** The placement's pods that are Ready and not being deleted on a member. */
  const readyPods = async (m: string, name = FP_NAME) => (await members[m]!.list<Pod>(`/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: `feature.kubefed.io/placement=${NS}.${name}` } })).items
    .filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((p) => p.metadata.name);

  beforeAll(async () => {
    installHostManifests();
    host = await adminClient('host');
    for (const m of ['member-1', 'member-2', 'member-3']) members[m] = await adminClient(m);
    // Members 2 and 3 get a policy-capable CNI (KWOK runs its pods); member-3 a ballast using half of each node's CPU.
    for (const m of ['member-2', 'member-3']) await members[m]!.apply(CNI, cniDaemonSet as KubeObject, MANAGER);
    await members['member-3']!.apply(BALLAST, deployment('placement-e2e-ballast', 5, '4') as KubeObject, MANAGER);
    await eventually('ballast Ready on member-3', async () => ((await members['member-3']!.get<Deployment>(BALLAST)).status?.readyReplicas ?? 0) === 5, 60_000);
    createdHostNs = await ensureNamespace(host, NS, MANAGER);
    await host.apply(FC, { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: FC_NAME }, spec: { networkpolicy: true, mode: 'inform' } } as KubeObject, MANAGER);
    controller = await startController(await controllerKubeconfig(host), 'placement', await freePort());
  }, 120_000);

  afterAll(async () => {
    await host.delete(FP).catch(() => undefined);
    await eventually('placement finalized', async () => !(await host.getOptional(FP)), 60_000).catch(() => undefined);
    await host.delete(FC).catch(() => undefined);
    await eventually('FeatureConfig finalized', async () => !(await host.getOptional(FC)), 60_000).catch(() => undefined);
    await controller?.stop();
    for (const m of ['member-2', 'member-3']) await members[m]!.delete(CNI).catch(() => undefined);
    await members['member-3']!.delete(BALLAST).catch(() => undefined);
    for (const m of Object.keys(members)) await members[m]!.delete(DEPLOYMENT).catch(() => undefined);
    if (createdHostNs) await deleteNamespace(host, NS);
    for (const c of Object.values(members)) c.close();
    host.close();
  }, 180_000);

  it('places only where the required feature is Supported, dividing by free capacity (WorstFit)', async () => {
    await eventually('networkpolicy Supported on members 2 and 3, not on member-1', async () => {
      const states = Object.fromEntries((await listClusterFeatureStatuses(host, FC_NAME)).map((o) => [o.cluster, o.features.find((f) => f.name === 'networkpolicy')?.state]));
      return states['member-2'] === 'Supported' && states['member-3'] === 'Supported' && states['member-1'] === 'Missing';
    }, 60_000);
    await host.apply(FP, {
      apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name: FP_NAME, namespace: NS },
      spec: { replicas: 16, requiredFeatures: [{ name: 'networkpolicy' }], policy: 'WorstFit', template: { spec: deployment(FP_NAME, 1, '2').spec } },
    } as KubeObject, MANAGER);
    // Capacity for 2-CPU pods: member-2 5 nodes × 4 = 20; member-3 5 × 2 = 10 (the ballast holds half of each node).
    // Worst fit levels the room left: 20 - 13 = 10 - 3 = 7.
    const placed = await eventually('placement Ready', async () => {
      const p = await fp();
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
    }, 90_000);
    expect(Object.fromEntries(placed.status!.clusters!.map((c) => [c.name, c.assigned]))).toEqual({ 'member-2': 13, 'member-3': 3 });
    expect(placed.status!.excluded).toEqual([expect.objectContaining({ name: 'member-1', reason: 'FeatureMissing' })]);
    expect(placed.status!.conditions!.find((c) => c.type === 'Scheduled')).toMatchObject({ status: 'True', observedGeneration: placed.metadata.generation });
    expect(placed.status!.summary).toBe('16/16');
    expect(await memberDeployment('member-1')).toBeUndefined();
    expect((await memberDeployment('member-2'))!.spec.replicas).toBe(13);
    expect((await memberDeployment('member-3'))!.metadata.labels).toMatchObject({ 'feature.kubefed.io/placement': `${NS}.${FP_NAME}` });
    const events = (await host.list<KubeObject & { reason: string; message: string }>(`/api/v1/namespaces/${NS}/events`, { query: { fieldSelector: `involvedObject.name=${FP_NAME}` } })).items;
    expect(events.map((e) => e.reason)).toContain('Placed');
  }, 150_000);

  it("moves an Offline member's replicas to a member with the feature, then removes them there once it is back", async () => {
    const t0 = Date.now();
    const stopped = await stopComponent(TEST_FEDERATION, 'member-3/kube-apiserver');
    expect(stopped).not.toBe('not-running');
    try {
      await eventually('16 replicas Ready on member-2', async () => {
        const d = await memberDeployment('member-2');
        return d?.spec.replicas === 16 && d.status?.readyReplicas === 16;
      }, 60_000);
      const seconds = (Date.now() - t0) / 1000;
      process.stderr.write(`placement: member-3 down → its replicas Ready on member-2 after ${seconds.toFixed(1)} s\n`);
      expect(seconds).toBeLessThan(45);
      const p = await fp();
      expect(p.status!.excluded!.find((e) => e.name === 'member-3')).toMatchObject({ reason: 'ClusterNotReady' });
    } finally {
      startComponent(TEST_FEDERATION, 'member-3/kube-apiserver');
    }
    // Back: its replicas are covered by Ready ones on member-2, so its Deployment goes (no rebalance asked).
    await eventually('member-3 Deployment removed', async () => {
      try {
        return !(await memberDeployment('member-3'));
      } catch {
        return false; // the API server is still starting
      }
    }, 90_000);
    expect((await memberDeployment('member-2'))!.spec.replicas).toBe(16);
  }, 180_000);

  it('moves replicas Pending longer than unschedulableSeconds to another member', async () => {
    // Only member-2's nodes carry the label the pods select: what lands on member-3 cannot be scheduled there
    // (the capacity estimate does not read node selectors; the Pending rule catches it).
    const nodes = (await members['member-2']!.list<KubeObject>('/api/v1/nodes')).items.map((n) => n.metadata.name);
    for (const n of nodes) await members['member-2']!.mergePatch(`/api/v1/nodes/${n}`, { metadata: { labels: { 'placement-e2e': 'yes' } } });
    try {
      const template = deployment(FP_NAME, 1, '2');
      (template.spec.template.spec as Record<string, unknown>).nodeSelector = { 'placement-e2e': 'yes' };
      await host.apply(FP, {
        apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name: FP_NAME, namespace: NS },
        spec: { replicas: 16, requiredFeatures: [{ name: 'networkpolicy' }], rebalance: true, unschedulableSeconds: 5, template: { spec: template.spec } },
      } as KubeObject, MANAGER);
      await eventually('some replicas on member-3', async () => ((await memberDeployment('member-3'))?.spec.replicas ?? 0) > 0, 30_000);
      const moved = await eventually('all 16 Ready on member-2, none left on member-3', async () => {
        const d = await memberDeployment('member-2');
        return d?.status?.readyReplicas === 16 && !(await memberDeployment('member-3')) ? d : undefined;
      }, 60_000);
      expect(moved.spec.replicas).toBe(16);
    } finally {
      for (const n of nodes) await members['member-2']!.mergePatch(`/api/v1/nodes/${n}`, { metadata: { labels: { 'placement-e2e': null } } });
    }
  }, 120_000);

  it('moves exactly the replicas of a member that lost a required feature, never below the Ready count, and says why', async () => {
    const spec = (rebalance: boolean) => ({
      apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name: FP_NAME, namespace: NS },
      spec: { replicas: 16, requiredFeatures: [{ name: 'networkpolicy' }], rebalance, template: { spec: deployment(FP_NAME, 1, '2').spec } },
    } as KubeObject);
    // Back to 13/3 (rebalance), then the default (no rebalance): replicas stay where they run.
    await host.apply(FP, spec(true), MANAGER);
    await eventually('13/3 Ready again', async () => {
      await collectOrphans();
      const [d2, d3] = [await memberDeployment('member-2'), await memberDeployment('member-3')];
      // By pods too: the previous test's member-3 Deployment was deleted, and until the garbage collector reaches
      // its pods they carry the placement's label and stay Ready next to the new Deployment's (seen in CI: 19, not 16).
      return d2?.spec.replicas === 13 && d2.status?.readyReplicas === 13 && d3?.spec.replicas === 3 && d3.status?.readyReplicas === 3
        && (await readyPods('member-2')).length === 13 && (await readyPods('member-3')).length === 3;
    }, 120_000);
    await host.apply(FP, spec(false), MANAGER);
    await eventually('generation observed', async () => {
      const p = await fp();
      return p.status?.observedGeneration === p.metadata.generation && p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    }, 30_000);
    const before2 = await readyPods('member-2');
    expect(before2).toHaveLength(13);

    // Every change to the placement's pods on members 2 and 3, from watches: the Ready total after each one.
    const watching = new AbortController();
    const readyNow: Record<string, Set<string>> = { 'member-2': new Set(), 'member-3': new Set() };
    const totals: Array<{ t: number; total: number }> = [];
    const replicas2 = new Set<number>();
    let live = false; // totals are recorded once both members' lists are in
    const t0 = Date.now();
    const watched = await Promise.all(['member-2', 'member-3'].map(async (m) => {
      const selector = `feature.kubefed.io/placement=${NS}.${FP_NAME}`;
      const list = await members[m]!.list<Pod>(`/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: selector } });
      const seen = (type: string, p: Pod) => {
        const ready = type !== 'DELETED' && !p.metadata.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (ready) readyNow[m]!.add(p.metadata.name);
        else readyNow[m]!.delete(p.metadata.name);
        if (live) totals.push({ t: Date.now() - t0, total: readyNow['member-2']!.size + readyNow['member-3']!.size });
      };
      for (const p of list.items) seen('ADDED', p);
      const pods = members[m]!.watch<Pod>(`/api/v1/namespaces/${NS}/pods`, { labelSelector: selector, resourceVersion: list.metadata.resourceVersion }, (e) => e.type !== 'BOOKMARK' && seen(e.type, e.object), watching.signal);
      const deps = m === 'member-2'
        ? members[m]!.watch<Deployment>(`/apis/apps/v1/namespaces/${NS}/deployments`, { fieldSelector: `metadata.name=${FP_NAME}` }, (e) => void replicas2.add(e.object.spec?.replicas), watching.signal)
        : Promise.resolve();
      return [pods, deps];
    }));
    live = true;
    if (readyNow['member-2']!.size + readyNow['member-3']!.size !== 16) {
      // Stop the watches before failing: left running, they reject into the next test file ("aborted").
      watching.abort();
      await Promise.allSettled(watched.flat());
    }
    expect(readyNow['member-2']!.size + readyNow['member-3']!.size).toBe(16);

    // Drift: the member's policy-capable CNI is removed by hand.
    await members['member-3']!.delete(CNI);
    try {
      let excludedAt: number | undefined;
      const doneAt = await eventually('member-3 Deployment gone, 16 Ready on member-2', async () => {
        const excluded3 = (await fp()).status?.excluded?.find((e) => e.name === 'member-3');
        if (excluded3 && excludedAt === undefined) excludedAt = Date.now() - t0;
        return !(await memberDeployment('member-3')) && readyNow['member-2']!.size === 16 && readyNow['member-3']!.size === 0 ? Date.now() - t0 : undefined;
      }, 90_000);
      watching.abort();
      await Promise.all(watched.flat());
      process.stderr.write(`placement: networkpolicy lost on member-3 → excluded after ${((excludedAt ?? NaN) / 1000).toFixed(1)} s, its 3 replicas Ready on member-2 and its Deployment removed after ${(doneAt / 1000).toFixed(1)} s; fewest Ready replicas during the move ${Math.min(...totals.map((x) => x.total))} (${totals.length} pod events)\n`);
      // Never below the 16 Ready replicas that ran before the move (member-3's went only once member-2's were Ready).
      expect(totals.filter((x) => x.total < 16)).toEqual([]);
      expect(totals.length).toBeGreaterThanOrEqual(6); // the move was seen: 3 pods up on member-2, 3 down on member-3
      // Only member-3's 3 replicas moved: member-2 went 13 → 16 and its own pods were left alone.
      expect([...replicas2].sort((a, b) => a - b)).toEqual([13, 16]);
      expect(await readyPods('member-2')).toEqual(expect.arrayContaining(before2));
      // Status follows at the decision after the removal.
      const p = await eventually('status lists member-2 only', async () => {
        const x = await fp();
        return x.status?.clusters?.length === 1 ? x : undefined;
      }, 30_000);
      expect(p.status!.clusters).toEqual([{ name: 'member-2', assigned: 16, ready: 16, pending: 0 }]);
      expect(p.status!.excluded!.find((e) => e.name === 'member-3')).toMatchObject({ reason: 'FeatureMissing', message: expect.stringContaining('networkpolicy is Missing') });
      expect(excludedAt).toBeDefined();
    } finally {
      watching.abort();
      await Promise.allSettled(watched.flat());
      await members['member-3']!.apply(CNI, cniDaemonSet as KubeObject, MANAGER);
    }
    await eventually('networkpolicy Supported on member-3 again', async () => {
      const st = (await listClusterFeatureStatuses(host, FC_NAME)).find((o) => o.cluster === 'member-3');
      return st?.features.find((f) => f.name === 'networkpolicy')?.state === 'Supported';
    }, 60_000);
  }, 240_000);

  it('refuses invalid specs naming the field, and teaches the API through kubectl explain', () => {
    const fp = (spec: string) => `apiVersion: feature.kubefed.io/v1alpha1\nkind: FeaturePlacement\nmetadata: {name: bad, namespace: ${NS}}\nspec:\n  replicas: 2\n  template: {spec: {selector: {matchLabels: {a: b}}, template: {}}}\n${spec}`;
    const refused = (spec: string) => kubectlResult(['create', '--dry-run=server', '-f', '-'], { input: fp(spec) });
    expect(refused('  requiredFeatures: [{name: cpumanagementpolicy}]\n').stderr).toMatch(/cpumanagementpolicy needs value none or static/);
    expect(refused('  policy: Random\n').stderr).toMatch(/spec.policy: Unsupported value: "Random"/);
    expect(refused('  replicaScheduling: {clusters: {"*": {minReplicas: 3, maxReplicas: 1}}}\n').stderr).toMatch(/minReplicas must not exceed maxReplicas/);
    expect(refused('  replicaScheduling: {clusters: {m1: {minReplicas: 5}}}\n').stderr).toMatch(/minReplicas cannot exceed spec.replicas/);
    const ok = kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], { input: fp('') });
    expect(JSON.parse(ok).spec).toMatchObject({ policy: 'WorstFit', overflow: 'Next', ensureFeatures: false, unschedulableSeconds: 30, rebalance: false });
    expect(kubectl(['explain', 'featureplacement.spec.policy'])).toMatch(/WorstFit:\s+members\s+with\s+the\s+most\s+free\s+capacity\s+first/);
    expect(kubectl(['explain', 'featureplacement.status.excluded'])).toMatch(/NoFeatureConfig/);
  });

  it('deleting the placement removes its Deployments from the members', async () => {
    await host.delete(FP);
    await eventually('placement gone', async () => !(await host.getOptional(FP)), 60_000);
    expect(await memberDeployment('member-2')).toBeUndefined();
  }, 90_000);

  it('ensureFeatures: too few members qualify → a FeatureConfig it owns enforces PodPreset, the workload lands there once Supported; deletion removes that FeatureConfig (deletionPolicy Retain: the feature stays)', async () => {
    const name = 'placement-e2e-ensure';
    const path = resourcePath('feature.kubefed.io/v1alpha1', 'featureplacements', NS, name);
    const owned = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, `fp-${NS}-${name}`);
    const depPath = `/apis/apps/v1/namespaces/${NS}/deployments/${name}`;
    const member2 = members['member-2']!;
    const ctx = await memberContext('member-2', member2);
    const podpreset = new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, probeImage: 'fedfeat.local/pause:3.10' });
    expect((await podpreset.probe(ctx)).reason).toBe('APINotServed'); // the member starts without the feature
    const t0 = Date.now();
    try {
      await host.apply(path, {
        apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name, namespace: NS },
        spec: {
          replicas: 2, requiredFeatures: [{ name: 'podpreset' }], ensureFeatures: true,
          clusterSelector: { matchLabels: { 'fedfeat.io/member-index': '2' } }, template: { spec: deployment(name, 1, '100m').spec },
        },
      } as KubeObject, MANAGER);
      const fc = await eventually('owned FeatureConfig created', () => host.getOptional<KubeObject & { spec: Record<string, unknown> }>(owned), 30_000);
      expect(fc.metadata.labels).toMatchObject({ 'feature.kubefed.io/owner-placement': `${NS}.${name}` });
      expect(fc.spec).toMatchObject({ podpreset: true, mode: 'enforce', deletionPolicy: 'Retain', clusterSelector: { matchLabels: { 'fedfeat.io/member-index': '2' } } });
      const placed = await eventually('placed on member-2 and Ready', async () => {
        const p = await host.get<FeaturePlacement>(path);
        return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
      }, 120_000);
      process.stderr.write(`placement: ensureFeatures → PodPreset enforced on member-2 and 2 replicas Ready there after ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      expect(placed.status!.conditions!.find((c) => c.type === 'FeaturesEnsured')).toMatchObject({ status: 'True', reason: 'FeatureConfigApplied' });
      expect(placed.status!.clusters).toEqual([{ name: 'member-2', assigned: 2, ready: 2, pending: 0 }]);
      expect((await podpreset.probe(ctx)).state).toBe('Supported');
      expect((await member2.get<Deployment>(depPath)).spec.replicas).toBe(2);
      for (const m of ['member-1', 'member-3']) expect(await members[m]!.getOptional(depPath)).toBeUndefined();
      const events = (await host.list<KubeObject & { reason: string }>(`/api/v1/namespaces/${NS}/events`, { query: { fieldSelector: `involvedObject.name=${name}` } })).items;
      expect(events.map((e) => e.reason)).toContain('EnsuringFeatures');

      await host.delete(path);
      await eventually('placement gone', async () => !(await host.getOptional(path)), 60_000);
      expect(await member2.getOptional(depPath)).toBeUndefined();
      await eventually('owned FeatureConfig gone', async () => !(await host.getOptional(owned)), 60_000);
      // deletionPolicy Retain: what was enforced stays on the member (other workloads may use it by now).
      expect((await podpreset.probe(ctx)).state).toBe('Supported');
    } finally {
      await host.delete(path).catch(() => undefined);
      await eventually('placement gone', async () => !(await host.getOptional(path)), 60_000).catch(() => undefined);
      await host.delete(owned).catch(() => undefined);
      await eventually('owned FeatureConfig gone', async () => !(await host.getOptional(owned)), 60_000).catch(() => undefined);
      await podpreset.revert(ctx); // the federation as it was
    }
  }, 240_000);

  itRealNode('pins the pods to the nodes whose kubelet runs the static CPU manager policy (one of member-1\'s real nodes)', async (_first, nodes) => {
    const name = 'placement-e2e-cpu';
    const fcName = 'placement-e2e-cpu-static';
    const path = resourcePath('feature.kubefed.io/v1alpha1', 'featureplacements', NS, name);
    const fcPath = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, fcName);
    const depPath = `/apis/apps/v1/namespaces/${NS}/deployments/${name}`;
    const member1 = members['member-1']!;
    // One real node only (a kubelet restart each way); the other two keep the policy none.
    const target = nodes[nodes.length - 1]!.nodeName;
    const ctx: MemberContext = { ...(await memberContext('member-1', member1)), options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000, simulatedNodeAnnotation: 'kwok.x-k8s.io/node=fake' } };
    const kubelet = new KubeletConfigReconfigurator({ agentTimeoutSeconds: 45, nodeReadyTimeoutSeconds: 120 });
    const feature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'static' as const } };
    const configz = async (n: string) => (await member1.get<{ kubeletconfig: Record<string, unknown> }>(`/api/v1/nodes/${n}/proxy/configz`)).kubeletconfig.cpuManagerPolicy;
    try {
      const t0 = Date.now();
      const probe = await kubelet.probe(ctx, feature);
      await kubelet.reconfigure(ctx, feature, { ...probe, observed: { ...probe.observed, results: probe.observed.results.filter((r) => r.node === target) } });
      process.stderr.write(`placement: ${target} reconfigured to the static CPU manager policy in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      expect(await configz(target)).toBe('static');
      for (const n of nodes.filter((x) => x.nodeName !== target)) expect(await configz(n.nodeName)).toBe('none');

      // fedfeat only observes (inform): member-1 stays Missing as a whole, but one node shows the policy.
      await host.apply(fcPath, {
        apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: fcName },
        spec: { cpumanagementpolicy: 'static', mode: 'inform' },
      } as KubeObject, MANAGER);
      const t1 = Date.now();
      await host.apply(path, {
        apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name, namespace: NS },
        spec: {
          replicas: 3, requiredFeatures: [{ name: 'cpumanagementpolicy', value: 'static' }],
          template: { spec: { ...deployment(name, 1, '10m').spec, template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'fedfeat.local/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } } } },
        },
      } as KubeObject, MANAGER);
      const placed = await eventually('placed and Ready', async () => {
        const p = await host.get<FeaturePlacement>(path);
        return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
      }, 120_000);
      process.stderr.write(`placement: 3 replicas Ready on ${target} ${((Date.now() - t1) / 1000).toFixed(1)} s after the FeatureConfig and placement were applied\n`);
      expect(placed.status!.clusters).toEqual([{ name: 'member-1', assigned: 3, ready: 3, pending: 0 }]);
      // Members 2 and 3 have KWOK nodes only: no kubelet to show the policy.
      for (const m of ['member-2', 'member-3']) expect(placed.status!.excluded!.find((e) => e.name === m)).toMatchObject({ reason: 'FeatureUnknown', message: expect.stringContaining('NoKubeletToProbe') });
      const dep = await member1.get<Deployment & { spec: { template: { spec: { affinity?: unknown } } } }>(depPath);
      expect(dep.spec.template.spec.affinity).toEqual({
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [target] }] }] } },
      });
      const pods = (await member1.list<Pod>(`/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: `feature.kubefed.io/placement=${NS}.${name}` } })).items;
      expect(pods.map((p) => p.spec.nodeName)).toEqual([target, target, target]);
      const st = (await listClusterFeatureStatuses(host, fcName)).find((o) => o.cluster === 'member-1');
      expect(st?.features.find((f) => f.name === 'cpumanagementpolicy')).toMatchObject({ state: 'Missing' });
      // The node list is stored with the result (the CRD keeps the field), for a controller that restarts.
      expect(st?.nodes).toEqual({ cpumanagementpolicy: [target] });
    } finally {
      await host.delete(path).catch(() => undefined);
      await eventually('placement gone', async () => !(await host.getOptional(path)), 60_000).catch(() => undefined);
      await host.delete(fcPath).catch(() => undefined);
      await eventually('FeatureConfig gone', async () => !(await host.getOptional(fcPath)), 60_000).catch(() => undefined);
      await kubelet.revert(ctx);
    }
    await eventually(`${target} back to the policy none`, async () => (await configz(target).catch(() => undefined)) === 'none', 60_000);
  }, 300_000);
});
