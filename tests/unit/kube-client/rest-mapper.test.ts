import { RestMapper, UnknownKind } from '../../../kube-client/rest-mapper.js';

/** Discovery documents as an API server serves them; `calls` records every GET. */
function fakeDiscovery(docs: Record<string, Array<{ name: string; kind: string; namespaced: boolean }>>) {
  const calls: string[] = [];
  const get = async (path: string) => {
    calls.push(path);
    const resources = docs[path];
    if (!resources) throw new Error(`404 ${path}`);
    return { resources };
  };
  return { calls, get, docs };
}

describe('RestMapper', () => {
  const core = [
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
    { name: 'secrets', kind: 'Secret', namespaced: true },
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'pods/status', kind: 'Pod', namespaced: true },
  ];
  const apps = [{ name: 'deployments', kind: 'Deployment', namespaced: true }, { name: 'deployments/scale', kind: 'Scale', namespaced: true }];

  it('maps kinds to paths from discovery, core and named groups, namespaced and cluster-scoped', async () => {
    const d = fakeDiscovery({ '/api/v1': core, '/apis/apps/v1': apps });
    const m = new RestMapper(d.get);
    expect(await m.objectPath({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' } })).toBe('/api/v1/namespaces/ns/secrets/s');
    expect(await m.objectPath({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', namespace: 'ignored' } })).toBe('/api/v1/namespaces/ns');
    expect(await m.objectPath({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'x' } })).toBe('/apis/apps/v1/namespaces/x/deployments/d');
    expect(await m.listPath('v1', 'Pod')).toBe('/api/v1/pods');
    // Subresources never shadow their parent.
    expect(await m.resourceFor('apps/v1', 'Scale').catch((e: Error) => e)).toBeInstanceOf(UnknownKind);
  });

  it('reads discovery once per group-version, and again when a kind is missing (a CRD just added)', async () => {
    const d = fakeDiscovery({ '/api/v1': core, '/apis/crd.projectcalico.org/v1': [] });
    const m = new RestMapper(d.get);
    await m.objectPath({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'a', namespace: 'n' } });
    await m.objectPath({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'n' } });
    expect(d.calls).toEqual(['/api/v1']);
    await expect(m.resourceFor('crd.projectcalico.org/v1', 'IPPool')).rejects.toThrow('serves no kind IPPool in crd.projectcalico.org/v1');
    d.docs['/apis/crd.projectcalico.org/v1'] = [{ name: 'ippools', kind: 'IPPool', namespaced: false }];
    expect(await m.resourceFor('crd.projectcalico.org/v1', 'IPPool')).toEqual({ plural: 'ippools', namespaced: false });
  });

  it('takes a group-version the server does not serve (404) as one without kinds', async () => {
    const m = new RestMapper(async (path) => {
      throw Object.assign(new Error(`GET ${path}: 404 Not Found`), { statusCode: 404 });
    });
    await expect(m.objectPath({ apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'p', namespace: 'n' } })).rejects.toBeInstanceOf(UnknownKind);
  });

  it('retries a failed discovery instead of caching the failure', async () => {
    const d = fakeDiscovery({});
    const m = new RestMapper(d.get);
    await expect(m.resourceFor('apps/v1', 'Deployment')).rejects.toThrow('404');
    d.docs['/apis/apps/v1'] = apps;
    expect((await m.resourceFor('apps/v1', 'Deployment')).plural).toBe('deployments');
  });
});
