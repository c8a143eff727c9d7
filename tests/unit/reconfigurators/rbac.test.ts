import { accessFor, accessPieces } from '../../../reconfigurators/access.js';
import { accessAllows, describeRequest, requestAttributes, ruleAllows } from '../../../reconfigurators/rbac.js';

describe('requestAttributes: what RBAC checks for a request', () => {
  it.each([
    ['GET', '/api/v1/nodes', {}, { verb: 'list', group: '', resource: 'nodes' }],
    ['GET', '/api/v1/nodes', { watch: true }, { verb: 'watch', group: '', resource: 'nodes' }],
    ['GET', '/api/v1/nodes/n1/proxy/configz', {}, { verb: 'get', group: '', resource: 'nodes', name: 'n1', subresource: 'proxy' }],
    ['POST', '/api/v1/namespaces/fedfeat-probe/pods', { dryRun: 'All' }, { verb: 'create', group: '', resource: 'pods', namespace: 'fedfeat-probe' }],
    ['PATCH', '/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node', {}, { verb: 'patch', group: 'apps', resource: 'daemonsets', namespace: 'kube-system', name: 'calico-node' }],
    ['DELETE', '/api/v1/namespaces/fedfeat-system', {}, { verb: 'delete', group: '', resource: 'namespaces', namespace: 'fedfeat-system', name: 'fedfeat-system' }],
    ['GET', '/apis/settings.k8s.io/v1alpha1', {}, { verb: 'get', path: '/apis/settings.k8s.io/v1alpha1' }],
    ['GET', '/healthz', {}, { verb: 'get', path: '/healthz' }],
    ['WATCH', '/apis/apps/v1/daemonsets', {}, { verb: 'watch', group: 'apps', resource: 'daemonsets' }],
  ])('%s %s', (method, path, query, want) => {
    expect(requestAttributes(method, path, query)).toEqual(want);
  });

  it('names a request in words for status messages', () => {
    expect(describeRequest(requestAttributes('POST', '/api/v1/namespaces/fedfeat-probe/pods'))).toBe('create pods in namespace fedfeat-probe');
    expect(describeRequest(requestAttributes('PATCH', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.y'))).toBe('patch customresourcedefinitions.apiextensions.k8s.io "x.y" (cluster-wide)');
    expect(describeRequest(requestAttributes('GET', '/api/v1/nodes/n/proxy/configz'))).toBe('get nodes/proxy "n" (cluster-wide)');
  });
});

describe('rules', () => {
  it('match verbs, groups, resources, subresources and resourceNames as RBAC does', () => {
    const named = { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['a'] };
    expect(ruleAllows(named, { verb: 'get', group: '', resource: 'secrets', name: 'a' })).toBe(true);
    expect(ruleAllows(named, { verb: 'get', group: '', resource: 'secrets', name: 'b' })).toBe(false);
    expect(ruleAllows(named, { verb: 'list', group: '', resource: 'secrets' })).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }, { verb: 'get', group: '', resource: 'nodes', subresource: 'proxy', name: 'n' })).toBe(false);
    expect(ruleAllows({ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }, { verb: 'get', group: '', resource: 'nodes', subresource: 'proxy', name: 'n' })).toBe(true);
    expect(ruleAllows({ nonResourceURLs: ['/apis/*'], verbs: ['get'] }, { verb: 'get', path: '/apis/apps/v1' })).toBe(true);
  });

  it('inform is read-only except pod creation in the probe namespace', () => {
    const inform = accessFor('inform', ['podpreset', 'cpumanagementpolicy', 'networkpolicy']);
    const writes = [...inform.cluster, ...Object.values(inform.namespaced).flat()].filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)));
    expect(writes).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }]);
    expect(Object.keys(inform.namespaced)).toEqual(['fedfeat-probe']);
    expect(accessAllows(inform, requestAttributes('POST', '/api/v1/namespaces/default/pods'))).toBe(false);
    expect(accessAllows(inform, requestAttributes('POST', '/api/v1/namespaces/fedfeat-probe/pods'))).toBe(true);
    expect(accessAllows(inform, requestAttributes('GET', '/api/v1/namespaces/fedfeat-system/secrets/podpreset-webhook-ca'))).toBe(false);
  });

  it('enforce adds only the enabled tactics\' writes, named where Kubernetes checks names', () => {
    const podpreset = accessFor('enforce', ['podpreset']);
    expect(accessAllows(podpreset, requestAttributes('PATCH', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset'))).toBe(true);
    expect(accessAllows(podpreset, requestAttributes('PATCH', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/other'))).toBe(false);
    expect(accessAllows(podpreset, requestAttributes('POST', '/api/v1/namespaces/fedfeat-node-agent/pods'))).toBe(false);
    expect(accessAllows(podpreset, requestAttributes('GET', '/api/v1/nodes/n/proxy/configz'))).toBe(false);
    const kubelet = accessFor('enforce', ['cpumanagementpolicy']);
    expect(accessAllows(kubelet, requestAttributes('POST', '/api/v1/namespaces/fedfeat-node-agent/pods'))).toBe(true);
    expect(accessAllows(kubelet, requestAttributes('PATCH', '/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node'))).toBe(false);
    expect(accessPieces('enforce', ['cpumanagementpolicy', 'kubelet']).map((p) => p.name)).toEqual(['common', 'kubelet-config']);
  });
});
