// `fedfeat join` / `fedfeat unjoin` through the CLI against the test
// federation, and what the controller reports for a member whose access falls
// short: member-3 is joined a second time, apart (its own ServiceAccount), as
// the alias member-3-inform with inform access for networkpolicy only.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { listClusterFeatureStatuses, toClusterResult } from '../../api/cluster-feature-status.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../../api/kubefed.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { repoRoot } from '../../local-federation/repo-root.js';
import { freePort } from '../../local-federation/free-port.js';
import { controllerKubeconfig, installHostManifests, startController, type ControllerProcess } from './controller-process.js';
import { adminClient, eventually, federation } from './federation.js';

const ALIAS = 'member-3-inform';
const SA = 'fedfeat-test-inform';
const FC_NAME = 'join-test';
const FC = `/apis/feature.kubefed.io/v1alpha1/featureconfigs/${FC_NAME}`;
const CRD = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io';
/** A PodPreset API someone else installed: with the API served, the probe goes on to read the webhook configuration. */
const foreignPodPresetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
  // A *.k8s.io group needs this annotation; "unapproved, ..." is how out-of-tree APIs state it.
  metadata: { name: 'podpresets.settings.k8s.io', annotations: { 'api-approved.kubernetes.io': 'unapproved, a test stand-in for a PodPreset API installed by someone else' } },
  spec: {
    group: 'settings.k8s.io', scope: 'Namespaced', names: { plural: 'podpresets', singular: 'podpreset', kind: 'PodPreset', listKind: 'PodPresetList' },
    versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
} as KubeObject;

function fedfeat(args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'fedfeat.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const common = () => ['--kubeconfig', path.join(federation().dir, 'kubeconfig'), '--context', 'member-3', '--host-context', 'host', '--service-account', SA];
const names = async (c: KubeClient, list: string, selector: string) => (await c.list(list, { query: { labelSelector: selector } })).items
  .map((o) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`).sort();

describe('fedfeat join and unjoin', () => {
  let host: KubeClient;
  let member: KubeClient;
  let controller: ControllerProcess | undefined;
  beforeAll(async () => {
    host = await adminClient('host');
    member = await adminClient('member-3');
  });
  afterAll(async () => {
    await member.delete(CRD).catch(() => undefined);
    await host.delete(FC).catch(() => undefined);
    await eventually('FeatureConfig gone', async () => !(await host.getOptional(FC)), 60_000).catch(() => undefined);
    await controller?.stop();
    fedfeat(['unjoin', ALIAS, ...common()]);
    host.close();
    member.close();
  });

  it('--dry-run prints the objects and touches nothing', async () => {
    const r = fedfeat(['join', ALIAS, ...common(), '--access', 'inform', '--features', 'podpreset', '--dry-run']);
    expect(r.code).toBe(0);
    const objs = parseAllDocuments(r.out).map((d) => d.toJS() as KubeObject).filter(Boolean);
    expect(objs.map((o) => `${o.kind} ${o.metadata.name}`)).toEqual([
      'Namespace kube-federation-system', 'Namespace fedfeat-probe', `ServiceAccount ${SA}`, `Secret ${SA}-token`,
      `ClusterRole ${SA}:common`, `ClusterRole ${SA}:podpreset`, `Role ${SA}:podpreset`,
      `ClusterRoleBinding ${SA}:common`, `ClusterRoleBinding ${SA}:podpreset`, `RoleBinding ${SA}:podpreset`,
      `Secret ${ALIAS}-token`, `KubeFedCluster ${ALIAS}`,
    ]);
    expect(JSON.stringify(objs)).not.toContain('cluster-admin');
    expect(await member.getOptional(`/api/v1/namespaces/${KUBEFED_NAMESPACE}/serviceaccounts/${SA}`)).toBeUndefined();
    expect(await host.getOptional(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, ALIAS))).toBeUndefined();
  });

  it('joins with inform access for the features named, and again changes nothing', async () => {
    const r = fedfeat(['join', ALIAS, ...common(), '--access', 'inform', '--features', 'networkpolicy']);
    expect(r.out).toContain(`${ALIAS} joined with inform access for networkpolicy`);
    expect(r.code).toBe(0);
    const sel = `join.fedfeat.io/${SA}`;
    const created = {
      clusterRoles: await names(member, '/apis/rbac.authorization.k8s.io/v1/clusterroles', sel),
      roles: await names(member, '/apis/rbac.authorization.k8s.io/v1/roles', sel),
    };
    // Calico's probe reads DaemonSets and Nodes only: the common read-only role (no Calico role at all), no pod creation anywhere.
    expect(created).toEqual({ clusterRoles: [`${SA}:common`], roles: [] });
    const role = await member.get<{ rules: Array<{ verbs: string[] }> }>(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${SA}:common`);
    expect(role.rules.flatMap((x) => x.verbs).every((v) => ['get', 'list', 'watch'].includes(v))).toBe(true);
    const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, ALIAS));
    expect(kfc.metadata.labels?.['fedfeat.io/access']).toBe('inform');
    expect(kfc.metadata.annotations?.['fedfeat.io/features']).toBe('networkpolicy');

    // Idempotent: the same join again leaves the same objects (and the same token).
    const token = (await host.get<{ data: { token: string } }>(`/api/v1/namespaces/${KUBEFED_NAMESPACE}/secrets/${ALIAS}-token`)).data.token;
    expect(fedfeat(['join', ALIAS, ...common(), '--access', 'inform', '--features', 'networkpolicy']).code).toBe(0);
    expect(await names(member, '/apis/rbac.authorization.k8s.io/v1/clusterroles', sel)).toEqual(created.clusterRoles);
    expect((await host.get<{ data: { token: string } }>(`/api/v1/namespaces/${KUBEFED_NAMESPACE}/secrets/${ALIAS}-token`)).data.token).toBe(token);
    // member-3's own registration (fedfeat-host, enforce) is untouched.
    expect(await names(member, '/apis/rbac.authorization.k8s.io/v1/clusterroles', 'join.fedfeat.io/fedfeat-host')).toContain('fedfeat-host:podpreset');
  });

  it('reports a refused request as InsufficientPermissions and an inform member under enforce as InformAccessOnly, with Events, changing nothing', async () => {
    installHostManifests();
    // The PodPreset API served (by a CRD that is not fedfeat's): the probe does not stop at discovery but
    // reads the webhook configuration, which an inform join for networkpolicy does not grant.
    await member.apply(CRD, foreignPodPresetCrd, 'fedfeat-test-foreign');
    await eventually('PodPreset API served on member-3', async () => {
      const r = await member.getOptional<{ resources?: Array<{ name: string }> }>('/apis/settings.k8s.io/v1alpha1');
      return r?.resources?.some((x) => x.name === 'podpresets') ? true : undefined;
    }, 30_000);
    controller = await startController(await controllerKubeconfig(host), 'join-test', await freePort(), ['--verify-timeout-seconds', '20']);
    await host.apply(FC, {
      apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: FC_NAME },
      spec: { podpreset: true, networkpolicy: true, mode: 'enforce', clusterSelector: { matchLabels: { 'fedfeat.io/access': 'inform' } } },
    } as KubeObject, 'fedfeat-test');
    const features = await eventually('the alias reported', async () => {
      const objs = await listClusterFeatureStatuses(host, FC_NAME);
      const r = objs.map(toClusterResult).find((c) => c.name === ALIAS);
      return r && r.features.length === 2 ? r.features : undefined;
    }, 90_000);
    const pp = features.find((f) => f.name === 'podpreset')!;
    expect(pp).toMatchObject({ state: 'Unknown', reason: 'InsufficientPermissions' });
    // The podpreset probe reads the webhook configuration, which an inform join for networkpolicy does not grant.
    expect(pp.message).toContain('get mutatingwebhookconfigurations.admissionregistration.k8s.io "fedfeat-podpreset" (cluster-wide) is not allowed');
    expect(pp.message).toContain(`fedfeat join ${ALIAS} --access inform --features podpreset`);
    const np = features.find((f) => f.name === 'networkpolicy')!;
    expect(np).toMatchObject({ state: 'Missing', reason: 'InformAccessOnly' });
    expect(np.message).toContain('joined with inform access');
    const events = await eventually('Warning Events', async () => {
      const all = (await host.list<KubeObject & { reason: string; type: string }>('/api/v1/namespaces/default/events', { query: { fieldSelector: `involvedObject.name=${FC_NAME}` } })).items;
      const reasons = all.filter((e) => e.type === 'Warning').map((e) => e.reason);
      return reasons.includes('InsufficientPermissions') && reasons.includes('InformAccessOnly') ? reasons : undefined;
    }, 30_000);
    expect(events).toEqual(expect.arrayContaining(['InsufficientPermissions', 'InformAccessOnly']));
    // Nothing attempted: no Calico on member-3.
    expect(await member.getOptional('/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node')).toBeUndefined();
    await member.delete(CRD);
  });

  it('unjoin removes what join created on both sides, and a second unjoin finds nothing', async () => {
    await host.delete(FC);
    await eventually('FeatureConfig gone', async () => !(await host.getOptional(FC)), 60_000);
    const r = fedfeat(['unjoin', ALIAS, ...common()]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`host: KubeFedCluster ${ALIAS} deleted`);
    expect(await host.getOptional(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, ALIAS))).toBeUndefined();
    expect(await host.getOptional(`/api/v1/namespaces/${KUBEFED_NAMESPACE}/secrets/${ALIAS}-token`)).toBeUndefined();
    const sel = `join.fedfeat.io/${SA}`;
    for (const list of ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings']) {
      expect(await names(member, `/apis/rbac.authorization.k8s.io/v1/${list}`, sel)).toEqual([]);
    }
    expect(await member.getOptional(`/api/v1/namespaces/${KUBEFED_NAMESPACE}/serviceaccounts/${SA}`)).toBeUndefined();
    // kube-federation-system was there before this join (member-3's own): kept, without this join's label.
    const ns = await member.get(`/api/v1/namespaces/${KUBEFED_NAMESPACE}`);
    expect(ns.metadata.labels?.[sel]).toBeUndefined();
    expect(ns.metadata.labels?.['join.fedfeat.io/fedfeat-host']).toBe('true');
    const again = fedfeat(['unjoin', ALIAS, ...common()]);
    expect(again).toMatchObject({ code: 0 });
    expect(again.out).toContain('nothing of fedfeat join left');
    // member-3 still works through its own registration.
    expect(await names(member, '/apis/rbac.authorization.k8s.io/v1/clusterroles', 'join.fedfeat.io/fedfeat-host')).toContain('fedfeat-host:common');
  });

  it('refuses a member context that is the host', () => {
    const r = fedfeat(['join', 'x', '--kubeconfig', path.join(federation().dir, 'kubeconfig'), '--context', 'host', '--host-context', 'host']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('are the same API server');
  });
});
