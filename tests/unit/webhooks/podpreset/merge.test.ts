import type { Pod, PodPreset } from '../../../../reconfigurators/podpreset/podpreset-api.js';
import { applyPatch } from 'rfc6902';
import { applyPresets, probePatch, type JsonPatchOp } from '../../../../webhooks/podpreset/merge.js';

const preset = (name: string, spec: PodPreset['spec'], namespace = 'app', rv = '7'): PodPreset => ({
  apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name, namespace, resourceVersion: rv }, spec,
});
const pod = (over: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'p', namespace: 'app', labels: { role: 'frontend' }, ...meta },
  spec: { containers: [{ name: 'web', image: 'nginx' }], ...over },
});

/** Applies the patch as the API server would, refusing any operation that does not apply cleanly. */
function patched<T>(doc: T, ops: JsonPatchOp[]): T {
  // The patch travels as JSON: check it survives that, and that it only adds or replaces.
  const wire = JSON.parse(JSON.stringify(ops)) as JsonPatchOp[];
  expect(wire.every((o) => o.op === 'add' || o.op === 'replace')).toBe(true);
  const out = structuredClone(doc);
  const errors = applyPatch(out, wire).filter((e) => e !== null);
  if (errors.length) throw new Error(`patch does not apply: ${errors.map((e) => e!.message).join('; ')}`);
  return out;
}

const frontend = { matchLabels: { role: 'frontend' } };

describe('PodPreset merge', () => {
  it('injects env, a volume and its mount into every container, and records the preset', () => {
    const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
    const out = applyPresets(p, [preset('db', { selector: frontend, env: [{ name: 'DB_PORT', value: '6379' }], volumeMounts: [{ name: 'cache', mountPath: '/cache' }], volumes: [{ name: 'cache', emptyDir: {} }] })]);
    expect(out.kind).toBe('applied');
    if (out.kind !== 'applied') return;
    const res = patched(p, out.patch);
    for (const c of [...res.spec.containers, ...res.spec.initContainers!]) {
      expect(c.env).toEqual([{ name: 'DB_PORT', value: '6379' }]);
      expect(c.volumeMounts).toEqual([{ name: 'cache', mountPath: '/cache' }]);
    }
    expect(res.spec.volumes).toEqual([{ name: 'cache', emptyDir: {} }]);
    expect(res.metadata.annotations).toEqual({ 'podpreset.admission.kubernetes.io/podpreset-db': '7' });
  });

  it('keeps what the pod has and merges several presets in name order', () => {
    const p = pod({ containers: [{ name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }] }] }, { annotations: { keep: 'me' } });
    const out = applyPresets(p, [
      preset('z-second', { selector: frontend, env: [{ name: 'Z', value: 'z' }], envFrom: [{ configMapRef: { name: 'cm' } }] }),
      preset('a-first', { selector: frontend, env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }),
    ]);
    expect(out).toMatchObject({ kind: 'applied', presets: ['a-first', 'z-second'] });
    if (out.kind !== 'applied') return;
    const res = patched(p, out.patch);
    expect(res.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'Z', value: 'z' }]);
    expect(res.spec.containers[0]!.envFrom).toEqual([{ configMapRef: { name: 'cm' } }]);
    expect(res.metadata.annotations).toEqual({
      keep: 'me', 'podpreset.admission.kubernetes.io/podpreset-a-first': '7', 'podpreset.admission.kubernetes.io/podpreset-z-second': '7',
    });
  });

  it('admits the pod unmodified on a conflict and names it', () => {
    const p = pod({ containers: [{ name: 'web', image: 'nginx', env: [{ name: 'DB_PORT', value: '5432' }] }] });
    const out = applyPresets(p, [preset('db', { selector: frontend, env: [{ name: 'DB_PORT', value: '6379' }] })]);
    expect(out.kind).toBe('conflict');
    if (out.kind === 'conflict') expect(out.conflicts[0]).toMatch(/container "web": preset db: env name "DB_PORT"/);
  });

  it('treats a mount path used by another volume, or a volume name with another source, as conflicts', () => {
    const p = pod({ containers: [{ name: 'web', image: 'nginx', volumeMounts: [{ name: 'data', mountPath: '/cache' }] }], volumes: [{ name: 'cache', hostPath: { path: '/x' } }] });
    const out = applyPresets(p, [preset('c', { selector: frontend, volumeMounts: [{ name: 'cache', mountPath: '/cache' }], volumes: [{ name: 'cache', emptyDir: {} }] })]);
    expect(out.kind).toBe('conflict');
    if (out.kind === 'conflict') {
      expect(out.conflicts.some((c) => c.includes('volume name "cache"'))).toBe(true);
      expect(out.conflicts.some((c) => c.includes('mountPath "/cache"'))).toBe(true);
    }
  });

  it('leaves excluded pods, pods no preset selects, and pods of other namespaces alone', () => {
    const pp = preset('db', { selector: frontend, env: [{ name: 'X', value: '1' }] });
    expect(applyPresets(pod({}, { annotations: { 'podpreset.admission.kubernetes.io/exclude': 'true' } }), [pp]).kind).toBe('excluded');
    expect(applyPresets(pod({}, { labels: { role: 'backend' } }), [pp]).kind).toBe('no-match');
    expect(applyPresets(pod(), [preset('db', pp.spec, 'other')]).kind).toBe('no-match');
  });

  it('an empty selector selects every pod of the namespace, as label selectors do', () => {
    expect(applyPresets(pod({}, { labels: {} }), [preset('all', { selector: {}, env: [{ name: 'X', value: '1' }] })]).kind).toBe('applied');
  });
});
