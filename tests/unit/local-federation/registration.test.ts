import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { hostRegistrationObjects, kubefedClusterCrd } from '../../../local-federation/registration.js';

describe('KubeFed registration objects', () => {
  it('stores the member token in a Secret the KubeFedCluster references, as kubefedctl does', () => {
    const { secret, cluster } = hostRegistrationObjects({ memberName: 'member-2', apiEndpoint: 'https://127.0.0.1:6443', caPem: 'PEM', token: 'abc' });
    expect(cluster.apiVersion).toBe('core.kubefed.io/v1beta1');
    expect(cluster.metadata.namespace).toBe('kube-federation-system');
    expect(cluster.spec.secretRef.name).toBe(secret.metadata.name);
    expect(Buffer.from((secret.data as Record<string, string>).token!, 'base64').toString()).toBe('abc');
    expect(Buffer.from(cluster.spec.caBundle!, 'base64').toString()).toBe('PEM');
  });

  it('ships a KubeFedCluster CRD with the shape KubeFed defined', () => {
    const crd = kubefedClusterCrd() as unknown as { spec: { group: string; versions: Array<{ name: string; schema: { openAPIV3Schema: { properties: { spec: { required: string[] } } } } }> } };
    expect(crd.spec.group).toBe('core.kubefed.io');
    expect(crd.spec.versions[0]!.name).toBe('v1beta1');
    expect(crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.required).toEqual(['apiEndpoint', 'secretRef']);
    expect(parse(readFileSync('manifests/crds/core.kubefed.io_kubefedclusters.yaml', 'utf8'))).toEqual(crd);
  });
});
