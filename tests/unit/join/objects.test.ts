import { ACCESS_LABEL, FEATURES_ANNOTATION, hostObjects, joinedAccess, joinObjects, memberObjects, parseFeatures, tokenSecret } from '../../../join/objects.js';
import type { KubeObject } from '../../../kube-client/client.js';

const names = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind).map((o) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);

describe('fedfeat join objects', () => {
  it('inform for podpreset: common and podpreset ClusterRoles, a pod-create Role in the probe namespace, no cluster-admin', () => {
    const m = memberObjects({ access: 'inform', features: ['podpreset'] });
    expect(m.namespaces).toEqual(['kube-federation-system', 'fedfeat-probe']);
    expect(names(m.objects, 'ClusterRole')).toEqual(['fedfeat-host:common', 'fedfeat-host:podpreset']);
    expect(names(m.objects, 'Role')).toEqual(['fedfeat-probe/fedfeat-host:podpreset']);
    const refs = m.objects.filter((o) => o.kind.endsWith('Binding')).map((o) => (o as unknown as { roleRef: { name: string } }).roleRef.name);
    expect(refs).not.toContain('cluster-admin');
    const token = m.objects.find((o) => o.kind === 'Secret')!;
    expect(token.metadata.name).toBe(tokenSecret('fedfeat-host'));
    expect((token as unknown as { type: string }).type).toBe('kubernetes.io/service-account-token');
  });

  it('enforce for every feature: a Role in each tactic namespace', () => {
    const m = memberObjects({ access: 'enforce', features: ['podpreset', 'cpumanagementpolicy', 'networkpolicy'] });
    expect(m.namespaces).toEqual(['kube-federation-system', 'fedfeat-probe', 'fedfeat-system', 'fedfeat-node-agent', 'kube-system']);
    expect(names(m.objects, 'RoleBinding')).toEqual([
      'fedfeat-probe/fedfeat-host:podpreset', 'fedfeat-system/fedfeat-host:podpreset', 'fedfeat-node-agent/fedfeat-host:kubelet-config', 'kube-system/fedfeat-host:calico',
    ]);
  });

  it('records the access level and features on the KubeFedCluster, and reads them back', () => {
    const spec = { member: 'm1', access: 'inform' as const, features: parseFeatures('podpreset,kubelet'), apiEndpoint: 'https://x:6443', caPem: 'PEM', labels: { a: 'b' } };
    const { cluster, secret } = hostObjects(spec, 'tok');
    expect(cluster.metadata.labels).toEqual({ a: 'b', [ACCESS_LABEL]: 'inform' });
    expect(cluster.metadata.annotations?.[FEATURES_ANNOTATION]).toBe('podpreset,kubelet');
    expect(cluster.spec.secretRef.name).toBe(secret.metadata.name);
    expect(joinedAccess(cluster.metadata.labels!, cluster.metadata.annotations!)).toEqual({ access: 'inform', features: ['podpreset', 'kubelet'] });
    expect(joinedAccess({}, {})).toBeUndefined();
  });

  it('placement namespaces: pods read cluster-wide, Deployments written only in those namespaces, which join holds', () => {
    const m = memberObjects({ access: 'inform', features: [], placementNamespaces: ['shop', 'web'] });
    expect(m.namespaces).toEqual(['kube-federation-system', 'shop', 'web']);
    expect(names(m.objects, 'ClusterRole')).toEqual(['fedfeat-host:common', 'fedfeat-host:placement']);
    expect(names(m.objects, 'Role')).toEqual(['shop/fedfeat-host:placement', 'web/fedfeat-host:placement']);
    const role = m.objects.find((o) => o.kind === 'Role') as unknown as { rules: Array<{ resources: string[]; verbs: string[] }> };
    expect(role.rules).toEqual([expect.objectContaining({ resources: ['deployments'], verbs: expect.arrayContaining(['create', 'patch', 'delete']) })]);
    const cr = m.objects.find((o) => o.metadata.name === 'fedfeat-host:placement' && o.kind === 'ClusterRole') as unknown as { rules: Array<{ resources: string[]; verbs: string[] }> };
    expect(cr.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }, { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] }]);
    const { cluster } = hostObjects({ member: 'm1', access: 'inform', features: [], apiEndpoint: 'https://x', placementNamespaces: ['shop', 'web'] }, 't');
    expect(cluster.metadata.annotations?.['fedfeat.io/placement-namespaces']).toBe('shop,web');
    expect(memberObjects({ access: 'inform', features: [] }).objects.some((o) => o.metadata.name === 'fedfeat-host:placement')).toBe(false);
  });

  it('refuses unknown features', () => {
    expect(() => parseFeatures('podpreset,gpu')).toThrow('unknown feature gpu');
  });

  it('dry run lists member objects first, then the host Secret and KubeFedCluster, without a token', () => {
    const objs = joinObjects({ member: 'm1', access: 'enforce', features: ['podpreset'], apiEndpoint: 'https://x', caPem: 'PEM' });
    expect(objs.at(-1)!.kind).toBe('KubeFedCluster');
    expect(objs[0]!.kind).toBe('Namespace');
    expect(Buffer.from((objs.at(-2)!.data as Record<string, string>).token!, 'base64').toString()).toContain('issued by the member');
  });
});
