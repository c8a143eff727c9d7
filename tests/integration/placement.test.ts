// FeaturePlacement against the suite's federation (3 members, KWOK nodes of
// 8 CPUs / 32 GiB): the controller process (least-privilege ServiceAccount,
// members reached with their join tokens) places a Deployment only where a
// required feature is Supported, divides it by free capacity (WorstFit), and
// moves a member's replicas elsewhere when the member goes Offline.
// The feature is networkpolicy in inform mode: a policy-capable CNI
// DaemonSet (named as Cilium's) Ready on members 2 and 3 makes it Supported
// there; member-1 has none.
import type { FeaturePlacement } from '../../api/featureplacement.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { startComponent, stopComponent } from '../../local-federation/components.js';
import { freePort } from '../../local-federation/free-port.js';
import { PLACEMENT_NAMESPACE } from '../../local-federation/registration.js';
import { listClusterFeatureStatuses } from '../../api/cluster-feature-status.js';
import { controllerKubeconfig, installHostManifests, kubectl, kubectlResult, startController, type ControllerProcess } from './controller-process.js';
import { adminClient, eventually, TEST_FEDERATION } from './federation.js';

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

  beforeAll(async () => {
    installHostManifests();
    host = await adminClient('host');
    for (const m of ['member-1', 'member-2', 'member-3']) members[m] = await adminClient(m);
    // Members 2 and 3 get a policy-capable CNI (KWOK runs its pods); member-3 a ballast using half of each node's CPU.
    for (const m of ['member-2', 'member-3']) await members[m]!.apply(CNI, cniDaemonSet as KubeObject, MANAGER);
    await members['member-3']!.apply(BALLAST, deployment('placement-e2e-ballast', 5, '4') as KubeObject, MANAGER);
    await eventually('ballast Ready on member-3', async () => ((await members['member-3']!.get<Deployment>(BALLAST)).status?.readyReplicas ?? 0) === 5, 60_000);
    if (!(await host.getOptional(`/api/v1/namespaces/${NS}`))) {
      await host.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject, MANAGER);
      createdHostNs = true;
    }
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
    if (createdHostNs) await host.delete(`/api/v1/namespaces/${NS}`).catch(() => undefined);
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
});
