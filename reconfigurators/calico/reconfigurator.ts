// The CNI tactic: Calico without overlay and with host-local IPAM, where no
// policy-capable CNI runs (GKE/AKS kubenet). Never installed over another
// policy-capable CNI; everything installed carries
// app.kubernetes.io/managed-by=fedfeat and revert removes exactly that.
import type { CalicoSettings, DesiredFeature } from '../../api/featureconfig.js';
import { KubeApiError, KubeClient, type KubeObject } from '../../kube-client/client.js';
import { objectPath as knownPath } from '../podpreset/render.js';
import { detectCnis, probeNetworkPolicy } from './probe.js';
import { probeUntilSupported, type MemberContext, type ProbeResult, type Reconfigurator, type ReconfigureOutcome } from '../types.js';
import { calicoManifestURL, coveringCidr, DEFAULT_CALICO_VERSION, MANAGED_BY, parseManifest, rewriteCalicoManifest } from './manifest.js';
import { fetchManifest } from './source.js';

export const FIELD_MANAGER = 'fedfeat-calico';

const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps', DaemonSet: 'daemonsets', PodDisruptionBudget: 'poddisruptionbudgets', Role: 'roles', RoleBinding: 'rolebindings',
};

/** API path of a manifest object; Calico's own kinds are all core or well-known ones. */
export function manifestObjectPath(o: KubeObject): string {
  const plural = PLURALS[o.kind];
  if (!plural) return knownPath(o);
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') as [string, string] : ['', o.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return `${base}${o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : ''}/${plural}/${o.metadata.name}`;
}

/**
 * Where Calico's manifest puts objects, in install order (CRDs first, workloads last). Revert lists these by
 * fedfeat's part-of label when the manifest it installed cannot be fetched again (mirror gone, no network).
 */
const CALICO_KINDS: Array<{ kind: string; apiVersion: string; list: string }> = [
  { kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', list: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions' },
  { kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', list: '/apis/rbac.authorization.k8s.io/v1/clusterroles' },
  { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', list: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings' },
  { kind: 'Role', apiVersion: 'rbac.authorization.k8s.io/v1', list: '/apis/rbac.authorization.k8s.io/v1/roles' },
  { kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', list: '/apis/rbac.authorization.k8s.io/v1/rolebindings' },
  { kind: 'ServiceAccount', apiVersion: 'v1', list: '/api/v1/serviceaccounts' },
  { kind: 'Secret', apiVersion: 'v1', list: '/api/v1/secrets' },
  { kind: 'ConfigMap', apiVersion: 'v1', list: '/api/v1/configmaps' },
  { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1', list: '/apis/policy/v1/poddisruptionbudgets' },
  { kind: 'Service', apiVersion: 'v1', list: '/api/v1/services' }, // calico-typha in the typha manifest
  { kind: 'DaemonSet', apiVersion: 'apps/v1', list: '/apis/apps/v1/daemonsets' },
  { kind: 'Deployment', apiVersion: 'apps/v1', list: '/apis/apps/v1/deployments' },
];

async function labelledCalicoObjects(c: KubeClient): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const k of CALICO_KINDS) {
    const items = (await c.list<KubeObject>(k.list, { query: { labelSelector: `app.kubernetes.io/part-of=${MANAGED_BY['app.kubernetes.io/part-of']}` } })).items;
    out.push(...items.map((o) => ({ ...o, kind: k.kind, apiVersion: k.apiVersion })));
  }
  return out;
}

const settingsOf = (f: DesiredFeature): CalicoSettings => ('calico' in f ? f.calico : {});

export class CalicoReconfigurator implements Reconfigurator {
  readonly name = 'calico-installer';
  readonly features = ['networkpolicy'] as const;
  readonly canReconfigure = true;

  constructor(private readonly o: { defaultManifestURL?: string } = {}) {}

  async probe(ctx: MemberContext): Promise<ProbeResult> {
    const v = await probeNetworkPolicy(ctx.client, ctx.options.requestTimeoutMs);
    return { state: v.enforced ? 'Supported' : 'Missing', reason: v.reason, message: v.message };
  }

  /** The rewritten objects for this member (fetches the manifest; reads node podCIDRs for the default pool). */
  async render(client: KubeClient, s: CalicoSettings): Promise<{ objects: KubeObject[]; url: string; poolCIDR: string; version: string }> {
    const version = s.version ?? DEFAULT_CALICO_VERSION;
    const url = s.manifestURL ?? this.o.defaultManifestURL ?? calicoManifestURL(version);
    let poolCIDR = s.poolCIDR;
    if (!poolCIDR) {
      const nodes = await client.list<KubeObject & { spec?: { podCIDR?: string } }>('/api/v1/nodes');
      poolCIDR = coveringCidr(nodes.items.map((n) => n.spec?.podCIDR ?? '').filter(Boolean));
      if (!poolCIDR) throw new Error('no node has a spec.podCIDR (node IPAM off?): set spec.calico.poolCIDR to the cluster pod CIDR');
    }
    const objects = rewriteCalicoManifest(parseManifest(await fetchManifest(url)), { poolCIDR, version });
    return { objects, url, poolCIDR, version };
  }

  async reconfigure(ctx: MemberContext, feature: DesiredFeature): Promise<ReconfigureOutcome> {
    const c = ctx.client;
    const dss = await c.list<KubeObject>('/apis/apps/v1/daemonsets');
    const others = detectCnis(dss.items).filter((d) => d.cni !== 'calico' || !(d.daemonSet === 'calico-node' && this.isOurs(dss.items, d.namespace)));
    if (others.length) {
      // Two CNIs on one node fight over pod networking; fedfeat never installs over one.
      throw new Error(`member runs ${others.map((d) => `${d.cni} (${d.namespace}/${d.daemonSet})`).join(', ')}; fedfeat does not install Calico over another CNI`);
    }
    const r = await this.render(c, settingsOf(feature));
    for (const obj of r.objects) {
      await c.apply(manifestObjectPath(obj), obj, FIELD_MANAGER);
    }
    ctx.event('Normal', 'CalicoApplied', `applied ${r.objects.length} objects of Calico ${r.version} from ${r.url}: IP-in-IP and VXLAN off, host-local IPAM on node podCIDRs, pool ${r.poolCIDR}`);
    return { changed: true, message: `Calico ${r.version} applied (${r.objects.length} objects, pool ${r.poolCIDR}, no overlay, host-local IPAM)` };
  }

  private isOurs(dss: KubeObject[], namespace: string): boolean {
    return dss.some((d) => d.metadata.name === 'calico-node' && d.metadata.namespace === namespace && d.metadata.labels?.['app.kubernetes.io/managed-by'] === 'fedfeat');
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult> {
    return probeUntilSupported(this, ctx, feature, timeoutMs, 2000);
  }

  async revert(ctx: MemberContext, feature: DesiredFeature): Promise<ReconfigureOutcome> {
    const c = ctx.client;
    let objects: KubeObject[];
    try {
      objects = (await this.render(c, settingsOf(feature))).objects;
    } catch (e) {
      // Without the manifest, what fedfeat installed is still findable: everything carries its part-of label.
      objects = await labelledCalicoObjects(c);
      ctx.event('Normal', 'RevertByLabel', `the Calico manifest is not available (${(e as Error).message}); removing the ${objects.length} objects labelled as fedfeat's Calico instead`);
    }
    const removed: string[] = [];
    const deleted: string[] = [];
    // Reverse order: workloads before their RBAC and config, CRDs last.
    for (const obj of [...objects].reverse()) {
      const path = manifestObjectPath(obj);
      const live = await c.getOptional<KubeObject>(path);
      if (!live || live.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'fedfeat') continue;
      try {
        await c.delete(path, { query: { propagationPolicy: KubeClient.propagationFor(obj.kind) } });
        deleted.push(path);
        removed.push(`${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`);
      } catch (e) {
        if (!(e instanceof KubeApiError && e.statusCode === 404)) throw e;
      }
    }
    // Done means gone: CRDs finalize their objects and workloads their pods before they disappear
    // (a loaded API server can take minutes to finalize a CRD).
    const left = await c.waitGone(deleted, 300_000, 250);
    if (left.length) throw new Error(`revert still waiting for ${left.length} objects to go: ${left.slice(0, 3).join(', ')}`);
    return { changed: removed.length > 0, message: removed.length ? `removed ${removed.length} Calico objects` : 'nothing of fedfeat on the member' };
  }
}
