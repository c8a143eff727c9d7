// The CNI tactic: Calico without overlay and with host-local IPAM, where no
// policy-capable CNI runs (GKE/AKS kubenet). Never installed over another
// policy-capable CNI; everything installed carries
// app.kubernetes.io/managed-by=fedfeat and revert removes exactly that.
import type { CalicoSettings, DesiredFeature } from '../../api/featureconfig.js';
import { KubeClient, type KubeObject } from '../../kube-client/client.js';
import { UnknownKind } from '../../kube-client/rest-mapper.js';
import { decide } from '../decision.js';
import { probeUntilSupported } from '../run.js';
import type { MemberContext, ProbeResult, Reconfigurator, ReconfigureOutcome } from '../types.js';
import { calicoManifestURL, DEFAULT_CALICO_VERSION, DEFAULT_ROUTING, MANAGED_BY, parseManifest, rewriteCalicoManifest } from './manifest.js';
import { choosePool, clusterCidrFrom, type Pod } from './pool.js';
import { gather, NETWORKPOLICY_RULES, type CalicoObserved, type Node } from './probe.js';
import { fetchManifest } from './source.js';
import { CALICO_NAMESPACE } from './access.js';
import { cniCleanupDaemonSet, CLEANUP_NAME, felixCleanupDaemonSet } from './cleanup.js';

export const FIELD_MANAGER = 'fedfeat-calico';

/**
 * The kinds Calico's manifests hold, in install order (CRDs first, workloads last). Revert lists these by
 * fedfeat's part-of label when the manifest it installed cannot be fetched again (mirror gone, no network).
 */
const CALICO_KINDS: ReadonlyArray<{ kind: string; apiVersion: string }> = [
  { kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1' },
  { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1' },
  { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1' },
  { kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1' },
  { kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1' },
  { kind: 'ServiceAccount', apiVersion: 'v1' },
  { kind: 'ConfigMap', apiVersion: 'v1' },
  { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1' },
  { kind: 'Service', apiVersion: 'v1' }, // calico-typha in the typha manifest
  { kind: 'DaemonSet', apiVersion: 'apps/v1' },
  { kind: 'Deployment', apiVersion: 'apps/v1' },
];

async function labelledCalicoObjects(c: KubeClient): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const k of CALICO_KINDS) {
    // Namespaced kinds only in Calico's namespace: listing them cluster-wide would need read access everywhere.
    const path = await c.mapper.listPath(k.apiVersion, k.kind, CALICO_NAMESPACE);
    const items = (await c.list<KubeObject>(path, { query: { labelSelector: `app.kubernetes.io/part-of=${MANAGED_BY['app.kubernetes.io/part-of']}` } })).items;
    out.push(...items.map((o) => ({ ...o, kind: k.kind, apiVersion: k.apiVersion })));
  }
  return out;
}

const settingsOf = (f: DesiredFeature): CalicoSettings => ('calico' in f ? f.calico : {});

export class CalicoReconfigurator implements Reconfigurator<CalicoObserved> {
  readonly name = 'calico-installer';
  readonly features = ['networkpolicy'] as const;

  constructor(private readonly o: { defaultManifestURL?: string; defaultImageRegistry?: string } = {}) {}

  async probe(ctx: MemberContext): Promise<ProbeResult<CalicoObserved>> {
    const observed = await gather(ctx.client, ctx.options.requestTimeoutMs);
    return { ...decide(observed, NETWORKPOLICY_RULES), observed };
  }

  /**
   * The rewritten objects for this member (fetches the manifest). Without a pool (revert) only which objects the
   * manifest holds matters.
   */
  async render(s: CalicoSettings, pool: { poolCIDR: string; source: string } | undefined): Promise<{ objects: KubeObject[]; url: string; version: string }> {
    const version = s.version ?? DEFAULT_CALICO_VERSION;
    const url = s.manifestURL ?? this.o.defaultManifestURL ?? calicoManifestURL(version);
    const objects = rewriteCalicoManifest(parseManifest(await fetchManifest(url)), {
      poolCIDR: pool?.poolCIDR, version, routing: s.routing ?? DEFAULT_ROUTING, imageRegistry: s.imageRegistry ?? this.o.defaultImageRegistry,
    });
    return { objects, url, version };
  }

  /** The cluster pod CIDR as the member shows it: its controller-manager's flags, or kubeadm's configuration. */
  private async clusterCidr(c: KubeClient, timeoutMs: number): Promise<{ cidr: string; source: string } | undefined> {
    const readable = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await f();
      } catch {
        return undefined; // not there, or not readable with fedfeat's access: as if absent
      }
    };
    const pods = await readable(async () => (await c.list<Pod>(`/api/v1/namespaces/${CALICO_NAMESPACE}/pods`, { query: { labelSelector: 'component=kube-controller-manager' }, timeoutMs })).items);
    const kubeadm = await readable(async () => (await c.getOptional<{ data?: Record<string, string> }>(`/api/v1/namespaces/${CALICO_NAMESPACE}/configmaps/kubeadm-config`))?.data?.ClusterConfiguration);
    return clusterCidrFrom({ controllerManagerPods: pods, kubeadmClusterConfiguration: kubeadm });
  }

  async reconfigure(ctx: MemberContext, feature: DesiredFeature, probe: ProbeResult<CalicoObserved>): Promise<ReconfigureOutcome> {
    const c = ctx.client;
    const dss = probe.observed.daemonSets;
    const others = probe.observed.detected.filter((d) => d.cni !== 'calico' || !(d.daemonSet === 'calico-node' && this.isOurs(dss, d.namespace)));
    if (others.length) {
      // Two CNIs on one node fight over pod networking; fedfeat never installs over one.
      throw new Error(`member runs ${others.map((d) => `${d.cni} (${d.namespace}/${d.daemonSet})`).join(', ')}; fedfeat does not install Calico over another CNI`);
    }
    const nodes = probe.observed.nodes ?? (await c.list<Node>('/api/v1/nodes', { timeoutMs: ctx.options.requestTimeoutMs })).items;
    const s = settingsOf(feature);
    const pool = choosePool(s.poolCIDR, s.poolCIDR ? undefined : await this.clusterCidr(c, ctx.options.requestTimeoutMs), nodes);
    const r = await this.render(s, pool);
    const routing = s.routing ?? DEFAULT_ROUTING;
    for (const obj of r.objects) await c.applyObject(obj, FIELD_MANAGER);
    const mode = routing === 'cloud' ? 'policy only (no BGP)' : 'BGP';
    ctx.event('Normal', 'CalicoApplied', `applied ${r.objects.length} objects of Calico ${r.version} from ${r.url}: ${mode}, IP-in-IP and VXLAN off, host-local IPAM on node podCIDRs, pool ${pool.poolCIDR} (from ${pool.source})`);
    return { changed: true, message: `Calico ${r.version} applied (${r.objects.length} objects, routing ${routing}, pool ${pool.poolCIDR}, no overlay, host-local IPAM)` };
  }

  private isOurs(dss: KubeObject[], namespace: string): boolean {
    return dss.some((d) => d.metadata.name === 'calico-node' && d.metadata.namespace === namespace && d.metadata.labels?.['app.kubernetes.io/managed-by'] === 'fedfeat');
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult<CalicoObserved>> {
    return probeUntilSupported(this, ctx, feature, timeoutMs, 2000);
  }

  /** Runs a cleanup DaemonSet until it has run on every node, then removes it (see cleanup.ts). */
  private async runCleanup(ctx: MemberContext, cleanup: KubeObject, path: string, what: string, done: { reason: string; message: string }): Promise<void> {
    const c = ctx.client;
    await c.applyObject(cleanup, FIELD_MANAGER);
    type Status = KubeObject & { metadata: { generation?: number }; status?: { observedGeneration?: number; desiredNumberScheduled?: number; numberReady?: number } };
    const deadline = Date.now() + 180_000;
    for (;;) {
      const ds = await c.get<Status>(path);
      const s = ds.status ?? {};
      if ((s.observedGeneration ?? 0) >= (ds.metadata.generation ?? 1) && (s.desiredNumberScheduled ?? 0) > 0 && (s.numberReady ?? 0) >= s.desiredNumberScheduled!) break;
      if (Date.now() > deadline) throw new Error(`${CLEANUP_NAME} ran on ${s.numberReady ?? 0} of ${s.desiredNumberScheduled ?? '?'} nodes in 180 s; ${what} is left where it did not run (revert again to retry)`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await c.delete(path, { query: { propagationPolicy: KubeClient.propagationFor('DaemonSet') } });
    const left = await c.waitGone([path], 120_000, 250);
    if (left.length) throw new Error(`${CLEANUP_NAME} still there after 120 s`);
    ctx.event('Normal', done.reason, done.message);
  }

  async revert(ctx: MemberContext, feature: DesiredFeature): Promise<ReconfigureOutcome> {
    const c = ctx.client;
    let objects: KubeObject[];
    try {
      objects = (await this.render(settingsOf(feature), undefined)).objects;
    } catch (e) {
      // Without the manifest, what fedfeat installed is still findable: everything carries its part-of label.
      objects = await labelledCalicoObjects(c);
      ctx.event('Normal', 'RevertByLabel', `the Calico manifest is not available (${(e as Error).message}); removing the ${objects.length} objects labelled as fedfeat's Calico instead`);
    }
    const removed: string[] = [];
    // 1. Calico's CNI configuration off the nodes while Calico still runs: new pods get the nodes' previous network.
    const cleanupPath = `/apis/apps/v1/namespaces/${CALICO_NAMESPACE}/daemonsets/${CLEANUP_NAME}`;
    const cleanup = cniCleanupDaemonSet(objects);
    const calicoNode = await c.getOptional<KubeObject>(`/apis/apps/v1/namespaces/${CALICO_NAMESPACE}/daemonsets/calico-node`);
    const ours = calicoNode?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'fedfeat';
    // A revert interrupted during the cleanup finds its DaemonSet and runs it again.
    if (cleanup && (ours || (await c.getOptional(cleanupPath)))) {
      await this.runCleanup(ctx, cleanup, cleanupPath, 'Calico\'s CNI configuration', {
        reason: 'CalicoCniConfigRemoved', message: 'removed Calico\'s CNI configuration from every node: new pods get the network the nodes had before Calico',
      });
      removed.push('Calico\'s CNI configuration on every node');
    }
    const felixCleanup = ours ? felixCleanupDaemonSet(objects) : undefined;
    // 2. Workloads, then everything else (reverse manifest order, CRDs last). Calico's CNI plugin tears a pod's
    // network down through Calico's API objects (ClusterInformation, its service account): the pods Calico
    // networked (calico-kube-controllers among them) must be gone before those are.
    const reversed = [...objects].reverse();
    const isWorkload = (o: KubeObject) => o.kind === 'DaemonSet' || o.kind === 'Deployment';
    const workloads = reversed.filter(isWorkload);
    for (const phase of [workloads, reversed.filter((o) => !isWorkload(o))]) {
      const deleted: string[] = [];
      for (const obj of phase) {
        let path: string;
        try {
          path = await c.pathOf(obj);
        } catch (e) {
          if (e instanceof UnknownKind) continue; // its CRD is gone already, and with it every object of the kind
          throw e;
        }
        const live = await c.getOptional<KubeObject>(path);
        if (!live || live.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'fedfeat') continue;
        if (await c.delete(path, { query: { propagationPolicy: KubeClient.propagationFor(obj.kind) } })) {
          deleted.push(path);
          removed.push(`${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`);
        }
      }
      // Done means gone: CRDs finalize their objects and workloads their pods before they disappear
      // (a loaded API server can take minutes to finalize a CRD).
      const left = await c.waitGone(deleted, 300_000, 250);
      if (left.length) throw new Error(`revert still waiting for ${left.length} objects to go: ${left.slice(0, 3).join(', ')}`);
      // calico-node's pods are gone: Felix can no longer put its rules back, so they can go too.
      if (phase === workloads && felixCleanup) {
        await this.runCleanup(ctx, felixCleanup, cleanupPath, 'Felix\'s iptables rules', {
          reason: 'CalicoRulesRemoved', message: 'removed Felix\'s iptables chains (cali-*, nat-outgoing included) and ipsets from every node',
        });
        removed.push('Felix\'s iptables rules on every node');
      }
    }
    return { changed: removed.length > 0, message: removed.length ? `removed ${removed.length} Calico objects` : 'nothing of fedfeat on the member' };
  }
}
