// The controller installed the way users install it: `kubectl apply -k` of the
// project's manifests (through local-federation/in-cluster, which only points
// the Deployment at the locally built image and marks KWOK nodes simulated),
// two replicas on the host cluster's real node, in-cluster config through the
// `kubernetes` Service (kube-proxy on the host node), members reached at their
// KubeFedCluster endpoints from the pods. Then a leader failover by deleting
// the leader pod, timed. Other test files run the controller as host
// processes; they are stopped by the time this file runs (one file at a time),
// and this test checks the lease is held by one of its pods.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { listClusterFeatureStatuses, toClusterResult } from '../../api/cluster-feature-status.js';
import type { ClusterFeatureStatus, FeatureConfig, FeatureStatus } from '../../api/featureconfig.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { waitFor } from '../../kube-client/wait.js';
import { FEDFEAT_IMAGE } from '../../local-federation/images/build-images.js';
import { repoRoot } from '../../local-federation/repo-root.js';
import type { RealNodeState } from '../../local-federation/state.js';
import { kubectl } from './controller-process.js';
import { adminClient, describeHostNode, eventually, federation, tacticNamespace } from './federation.js';

const NS = 'kube-federation-system';
const DEPLOYMENT = `/apis/apps/v1/namespaces/${NS}/deployments/fedfeat-controller`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
const SELECTOR = 'app.kubernetes.io/name=fedfeat-controller';
const LEASE = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/fedfeat-controller`;
const OVERLAY = path.join(repoRoot, 'local-federation', 'in-cluster');
const FC = (name: string) => resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, name);
const REPORTED = 'in-cluster-listing-1';
const ENFORCED = 'in-cluster-podpreset';
const MEMBERS = ['member-1', 'member-2', 'member-3'];

type Pod = KubeObject & {
  spec: { nodeName?: string; containers: Array<{ image: string; imagePullPolicy?: string }> };
  status?: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> };
};
type Lease = KubeObject & { spec: { holderIdentity?: string; leaseTransitions?: number } };
type Deployment = KubeObject & { status?: { readyReplicas?: number; availableReplicas?: number; replicas?: number } };
type FcView = FeatureConfig & { members: ClusterFeatureStatus[] };

/** GET http://<pod IP>:8080<path>: the host routes the host node's podCIDR, so the test reaches the pods directly. */
function podGet(ip: string, p: string): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: ip, port: 8080, path: p, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    }).on('timeout', function (this: http.ClientRequest) {
      this.destroy(new Error(`GET ${ip}${p}: timed out`));
    }).on('error', reject);
  });
}

/** Sum of every sample of a metric (all label sets), from the Prometheus text format. */
function metricSum(body: string, name: string): number {
  let sum = 0;
  for (const m of body.matchAll(/^(\S+) (\S+)$/gm)) if (m[1] === name || m[1]!.startsWith(`${name}{`)) sum += Number(m[2]);
  return sum;
}

/** The controller's identity is `<hostname>_<pid>`; in a pod the hostname is the pod's name. */
const podOf = (identity: string | undefined) => identity?.replace(/_\d+$/, '');

describeHostNode('the controller installed in-cluster with kubectl apply -k', (hostNode: RealNodeState) => {
  let host: KubeClient;
  const listing1 = (parse(readFileSync(path.join(repoRoot, 'examples', 'listing-1-featureconfig.yaml'), 'utf8')) as { spec: Record<string, unknown> }).spec;

  const pods = async () => (await host.list<Pod>(PODS, { query: { labelSelector: SELECTOR } })).items;
  const ready = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const holder = async () => (await host.getOptional<Lease>(LEASE))?.spec.holderIdentity;
  const applyFc = (name: string, spec: Record<string, unknown>) =>
    host.apply(FC(name), { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name }, spec } as KubeObject, 'fedfeat-test');
  const getFc = async (name: string): Promise<FcView | undefined> => {
    const fc = await host.getOptional<FeatureConfig>(FC(name));
    if (!fc) return undefined;
    const mine = (await listClusterFeatureStatuses(host, name)).filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === fc.metadata.uid));
    return { ...fc, members: mine.map(toClusterResult) };
  };
  const feature = (fc: FcView | undefined, cluster: string, name: string): FeatureStatus | undefined =>
    fc?.members.find((c) => c.name === cluster)?.features.find((f) => f.name === name);
  /** The FeatureConfig's status is of its current generation and counts every member as reported. */
  const reportedAt = (fc: FcView | undefined, generation: number) =>
    fc?.status?.observedGeneration === generation && fc.status.members?.reported === 3 && fc.members.length === 3;

  beforeAll(async () => {
    host = await adminClient('host');
  });

  afterAll(async () => {
    // FeatureConfigs first, while the controller still runs to finalize them (ENFORCED reverts member-2).
    for (const name of [REPORTED, ENFORCED]) await host.delete(FC(name)).catch(() => undefined);
    const gone = await eventually('the test FeatureConfigs finalized by the in-cluster controller', async () =>
      !(await host.getOptional(FC(REPORTED))) && !(await host.getOptional(FC(ENFORCED))), 120_000).catch(() => false);
    if (!gone) {
      // No controller to finalize them (the Deployment never ran): drop the finalizers so later tests start clean.
      for (const name of [REPORTED, ENFORCED]) await host.mergePatch(FC(name), { metadata: { finalizers: null } }).catch(() => undefined);
    }
    // The Deployment and its PDB only: CRDs, RBAC and the namespace (which holds the KubeFedClusters) stay, as other tests installed them.
    kubectl(['-n', NS, 'delete', 'deployment/fedfeat-controller', 'poddisruptionbudget/fedfeat-controller', '--ignore-not-found', '--wait=true', '--timeout=90s']);
    await eventually('the controller pods gone', async () => (await pods()).length === 0, 90_000).catch(() => undefined);
    // The lease names pods that are gone: a host-process controller of a later test would wait it out.
    const left = await host.getOptional<Lease>(LEASE);
    if (left && (!left.spec.holderIdentity || podOf(left.spec.holderIdentity)?.startsWith('fedfeat-controller-'))) await host.delete(LEASE).catch(() => undefined);
    host.close();
  }, 300_000);

  it('runs the Deployment from the locally built image on the host node: 2 replicas Ready, one leader', async () => {
    // As a user would, through an overlay of the project's manifests (server-side, as the other tests install them).
    kubectl(['apply', '--server-side', '--field-manager=fedfeat-install', '--force-conflicts', '-k', OVERLAY]);
    const started = Date.now();
    await eventually('the Deployment with 2 ready replicas', async () => {
      const d = await host.get<Deployment>(DEPLOYMENT);
      return d.status?.readyReplicas === 2 && d.status.availableReplicas === 2;
    }, 150_000);
    const running = (await pods()).filter(ready);
    process.stderr.write(`in-cluster controller: 2 replicas Ready ${((Date.now() - started) / 1000).toFixed(1)} s after kubectl apply -k\n`);
    expect(running).toHaveLength(2);
    for (const p of running) {
      expect(p.spec.nodeName).toBe(hostNode.nodeName);
      expect(p.spec.containers[0]).toMatchObject({ image: FEDFEAT_IMAGE, imagePullPolicy: 'Never' });
      // A pod IP of the host node's podCIDR (a /24), which the host routes to that node.
      expect(p.status?.podIP?.startsWith(hostNode.podCidr!.split('.').slice(0, 3).join('.') + '.')).toBe(true);
    }

    // One leader, one of these pods (so no host-process controller holds the lease), and the gauges agree.
    const leader = await eventually('a lease holder among the pods', async () => {
      const h = await holder();
      return running.some((p) => p.metadata.name === podOf(h)) ? h : undefined;
    }, 45_000);
    const gauges = await Promise.all(running.map(async (p) => [p.metadata.name, metricSum((await podGet(p.status!.podIP!, '/metrics')).body, 'fedfeat_leader')] as const));
    expect(gauges.filter(([, v]) => v === 1).map(([n]) => n)).toEqual([podOf(leader)]);
    expect(gauges.filter(([, v]) => v === 0)).toHaveLength(1);
  }, 200_000);

  it("reports every member's features for the paper's Listing 1 (inform), reaching every member API server from the pod", async () => {
    await applyFc(REPORTED, { ...listing1, mode: 'inform' });
    const fc = await eventually('all 3 members reported', async () => {
      const f = await getFc(REPORTED);
      return reportedAt(f, f?.metadata.generation ?? -1) && f!.members.every((c) => c.features.length === 3) ? f : undefined;
    }, 90_000);
    for (const m of MEMBERS) {
      expect(feature(fc, m, 'podpreset')).toMatchObject({ state: 'Missing', reason: 'APINotServed' });
      expect(feature(fc, m, 'networkpolicy')).toMatchObject({ state: 'Missing', reason: 'NoPolicyCapableCNI' });
    }
    // member-1's real kubelets read through its API server's node proxy, from the pod.
    const realNode = federation().realNodes![0]!;
    expect(feature(fc, 'member-1', 'cpumanagementpolicy')).toMatchObject({ state: 'Missing', reason: 'KubeletConfigDiffers' });
    expect(feature(fc, 'member-1', 'cpumanagementpolicy')!.message).toContain(`${realNode.nodeName}: cpuManagerPolicy is none, want static`);
    expect(feature(fc, 'member-2', 'cpumanagementpolicy')).toMatchObject({ state: 'Unknown', reason: 'NoKubeletToProbe' });
  }, 120_000);

  it('fails over when the leader pod is deleted: another replica takes the lease and reconciles changes made after the failover', async () => {
    const before = await host.get<Lease>(LEASE);
    const oldLeader = podOf(before.spec.holderIdentity)!;
    const standby = (await pods()).find((p) => ready(p) && p.metadata.name !== oldLeader)!;
    expect(standby).toBeDefined();
    // A standby runs no work items.
    expect(metricSum((await podGet(standby.status!.podIP!, '/metrics')).body, 'fedfeat_reconcile_duration_seconds_count')).toBe(0);
    const generation = (await host.get<FeatureConfig>(FC(REPORTED))).metadata.generation!;

    const deleted = Date.now();
    kubectl(['-n', NS, 'delete', 'pod', oldLeader, '--wait=false']);
    const newHolder = await waitFor('another pod holding the lease', async () => {
      const h = await holder();
      return h && podOf(h) !== oldLeader ? h : undefined;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    const leaseTakenMs = Date.now() - deleted;
    // Changes made once the lease moved (the deleted pod leads until its SIGTERM is handled, and a change made
    // before that could be its work): one to the reported FeatureConfig, one that reconfigures a member.
    await applyFc(REPORTED, { ...listing1, mode: 'inform', rollout: { maxConcurrentClusters: 2 } });
    await applyFc(ENFORCED, { podpreset: true, deletionPolicy: 'Revert', clusterSelector: { matchLabels: { 'fedfeat.io/member-index': '2' } } });
    await waitFor('the change made after the failover reported', async () => reportedAt(await getFc(REPORTED), generation + 1), { timeoutMs: 60_000, intervalMs: 100 });
    const resumedMs = Date.now() - deleted;
    const enforced = await eventually('member-2 reconfigured: podpreset Supported', async () => {
      const f = await getFc(ENFORCED);
      return feature(f, 'member-2', 'podpreset')?.state === 'Supported' ? f : undefined;
    }, 90_000);
    const reconfiguredMs = Date.now() - deleted;
    process.stderr.write(`leader pod ${oldLeader} deleted: ${podOf(newHolder)} holds the lease after ${(leaseTakenMs / 1000).toFixed(1)} s, ` +
      `a change made after the failover is reported after ${(resumedMs / 1000).toFixed(1)} s, member-2 reconfigured (podpreset Supported) after ${(reconfiguredMs / 1000).toFixed(1)} s\n`);

    // Another replica took over, one transition later: usually the standby, but the Deployment's replacement
    // pod (local image, nothing to pull) can start and try first; either is a correct failover.
    const successorName = podOf(newHolder)!;
    const successor = await eventually('the new leader pod with an IP', async () =>
      (await pods()).find((p) => p.metadata.name === successorName && p.status?.podIP), 60_000);
    expect(successorName).not.toBe(oldLeader);
    const after = await host.get<Lease>(LEASE);
    expect(after.spec.leaseTransitions).toBe((before.spec.leaseTransitions ?? 0) + 1);
    // The deleted leader released the lease on SIGTERM: its successor did not wait out the 15 s lease.
    expect(leaseTakenMs).toBeLessThan(15_000);
    // The new leader did the work: its work items ran, and it announced member-2 Supported (Events name the pod).
    const announced = (await host.list<KubeObject & { reason: string; message: string; reportingInstance?: string }>('/api/v1/namespaces/default/events', {
      // This object's Events only (an earlier run's FeatureConfig of the same name left its own).
      query: { fieldSelector: `involvedObject.name=${ENFORCED},involvedObject.uid=${enforced.metadata.uid}` },
    })).items.filter((e) => e.reason === 'Ready' && e.message.includes('cluster=member-2 feature=podpreset'));
    expect(announced.map((e) => e.reportingInstance)).toEqual([successorName]);
    expect(metricSum((await podGet(successor.status!.podIP!, '/metrics')).body, 'fedfeat_reconcile_duration_seconds_count')).toBeGreaterThan(0);
    expect(feature(enforced, 'member-2', 'podpreset')!.reason).toBe('APIServedAndWebhookAnswering');
    const m2 = await adminClient('member-2');
    try {
      expect(await tacticNamespace(m2, 'fedfeat-system')).toBeDefined();
    } finally {
      m2.close();
    }

    // The Deployment replaces the deleted pod: two Ready replicas again, still one leader.
    await eventually('2 ready replicas again', async () => (await pods()).filter(ready).length === 2, 120_000);
    expect(podOf(await holder())).toBe(successorName);
  }, 240_000);

  it('finalizes the enforced FeatureConfig in-cluster: member-2 reverted', async () => {
    await host.delete(FC(ENFORCED));
    await eventually('the enforced FeatureConfig gone', async () => !(await host.getOptional(FC(ENFORCED))), 90_000);
    const m2 = await adminClient('member-2');
    try {
      expect(await tacticNamespace(m2, 'fedfeat-system')).toBeUndefined();
      expect(await m2.getOptional('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io')).toBeUndefined();
    } finally {
      m2.close();
    }
  }, 120_000);
});
