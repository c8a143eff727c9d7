import { canonicalQuantity, normalizeEnvVar, normalizeVolume, normalizeVolumeMount } from '../../../../webhooks/podpreset/defaults.js';

describe('canonicalQuantity', () => {
  it.each([
    ['1', '1'], ['1000m', '1'], ['0.5', '500m'], ['1500m', '1500m'], ['1024Mi', '1Gi'], ['1Ki', '1Ki'], ['512Ki', '512Ki'],
    ['1000Ki', '1000Ki'], ['0.5Ki', '512'], ['100Ki', '100Ki'], ['1024', '1024'], ['1000', '1k'], ['1e3', '1e3'], ['1000e0', '1e3'],
    ['0', '0'], ['0Mi', '0'], ['1m', '1m'], ['0.0000000001', '1n'], ['-2000m', '-2'], ['2Gi', '2Gi'], ['1M', '1M'], ['1000k', '1M'],
  ])('%s -> %s', (q, want) => expect(canonicalQuantity(q)).toBe(want));
  it('leaves what it cannot parse as it is', () => expect(canonicalQuantity('lots')).toBe('lots'));
});

describe('normalize*: the pod as the API server stored it and the preset as written compare equal', () => {
  it('env: fieldRef apiVersion v1, divisor "0", omitted empty value', () => {
    expect(normalizeEnvVar({ name: 'N', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }))
      .toEqual(normalizeEnvVar({ name: 'N', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }));
    expect(normalizeEnvVar({ name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1000m' } } }))
      .toEqual(normalizeEnvVar({ name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } }));
    expect(normalizeEnvVar({ name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }))
      .toEqual(normalizeEnvVar({ name: 'C', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } } }));
    expect(normalizeEnvVar({ name: 'E', value: '' })).toEqual(normalizeEnvVar({ name: 'E' }));
    expect(normalizeEnvVar({ name: 'E', value: 'a' })).not.toEqual(normalizeEnvVar({ name: 'E', value: 'b' }));
  });
  it('volumes: defaultMode 420, hostPath type "", token expiry 3600, emptyDir for no source, in-tree driver defaults', () => {
    expect(normalizeVolume({ name: 's', secret: { secretName: 'x' } })).toEqual({ name: 's', secret: { secretName: 'x', defaultMode: 420 } });
    expect(normalizeVolume({ name: 'c', configMap: { name: 'x', items: [{ key: 'k', path: 'p' }] } })).toEqual({ name: 'c', configMap: { name: 'x', defaultMode: 420, items: [{ key: 'k', path: 'p' }] } });
    expect(normalizeVolume({ name: 'h', hostPath: { path: '/x' } })).toEqual(normalizeVolume({ name: 'h', hostPath: { path: '/x', type: '' } }));
    expect(normalizeVolume({ name: 'e' })).toEqual({ name: 'e', emptyDir: {} });
    expect(normalizeVolume({ name: 'p', projected: { sources: [{ serviceAccountToken: { path: 't' } }, { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }] } }))
      .toEqual({ name: 'p', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 3600 } }, { downwardAPI: { items: [{ path: 'n', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] } }] } });
    expect(normalizeVolume({ name: 'r', rbd: { monitors: ['m'], image: 'i' } })).toEqual({ name: 'r', rbd: { monitors: ['m'], image: 'i', pool: 'rbd', user: 'admin', keyring: '/etc/ceph/keyring' } });
    expect(normalizeVolume({ name: 'eph', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } } } }))
      .toEqual({ name: 'eph', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', resources: { requests: { storage: '1Gi' } } } } } });
    expect(normalizeVolume({ name: 'i', image: { reference: 'repo/img:1.0' } })).toEqual({ name: 'i', image: { reference: 'repo/img:1.0', pullPolicy: 'IfNotPresent' } });
    expect(normalizeVolume({ name: 'i', image: { reference: 'repo/img' } })).toEqual({ name: 'i', image: { reference: 'repo/img', pullPolicy: 'Always' } });
  });
  it('keeps an explicit mode 0 and a non-default defaultMode apart from the default', () => {
    expect(normalizeVolume({ name: 's', secret: { secretName: 'x', defaultMode: 0 } })).not.toEqual(normalizeVolume({ name: 's', secret: { secretName: 'x' } }));
    expect(normalizeVolume({ name: 's', secret: { secretName: 'x', items: [{ key: 'k', path: 'p', mode: 0 }] } }))
      .not.toEqual(normalizeVolume({ name: 's', secret: { secretName: 'x', items: [{ key: 'k', path: 'p' }] } }));
  });
  it('volume mounts: readOnly false and an empty subPath are what the API server omits', () => {
    expect(normalizeVolumeMount({ name: 'v', mountPath: '/v', readOnly: false, subPath: '' })).toEqual({ name: 'v', mountPath: '/v' });
    expect(normalizeVolumeMount({ name: 'v', mountPath: '/v', readOnly: true })).not.toEqual({ name: 'v', mountPath: '/v' });
  });
});
