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

  it('takes an item the pod has identically once the API server defaulted it as no conflict, and does not add it again', () => {
    // What the API server stored for the same items (it defaults pods, never the preset CRD).
    const defaultedEnv = [
      { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '0' } } },
    ];
    const defaultedVolumes = [
      { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
      { name: 'host', hostPath: { path: '/var/log', type: '' } },
      { name: 'info', downwardAPI: { defaultMode: 420, items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
      { name: 'tok', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 3600 } }] } },
      { name: 'scratch', emptyDir: { sizeLimit: '1Gi' } },
    ];
    const p = pod({
      containers: [{ name: 'web', image: 'nginx', env: defaultedEnv, volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }],
      volumes: defaultedVolumes,
    });
    const out = applyPresets(p, [preset('d', {
      selector: frontend,
      env: [
        { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } },
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'cfg' } },
        { name: 'host', hostPath: { path: '/var/log' } },
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        { name: 'tok', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } },
        { name: 'scratch', emptyDir: { sizeLimit: '1024Mi' } },
      ],
      volumeMounts: [{ name: 'cfg', mountPath: '/cfg', readOnly: false }],
    })]);
    expect(out.kind).toBe('applied');
    if (out.kind !== 'applied') return;
    // Only the annotation: nothing added twice.
    expect(out.patch).toEqual([{ op: 'add', path: '/metadata/annotations', value: { 'podpreset.admission.kubernetes.io/podpreset-d': '7' } }]);
  });

  it('still sees a real difference behind the defaults as a conflict', () => {
    const p = pod({ volumes: [{ name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } }] });
    const out = applyPresets(p, [preset('d', { selector: frontend, volumes: [{ name: 'cfg', configMap: { name: 'cfg', defaultMode: 0o600 } }] })]);
    expect(out.kind).toBe('conflict');
  });

  it('is idempotent: a pod that already went through the webhook gets an empty patch (envFrom included)', () => {
    const presets = [preset('db', { selector: frontend, env: [{ name: 'A', value: '1' }], envFrom: [{ configMapRef: { name: 'cm' } }], volumes: [{ name: 'v', emptyDir: {} }], volumeMounts: [{ name: 'v', mountPath: '/v' }] })];
    const p = pod({ initContainers: [{ name: 'init', image: 'busybox' }] });
    const first = applyPresets(p, presets);
    if (first.kind !== 'applied') throw new Error(first.kind);
    const once = patched(p, first.patch);
    const again = applyPresets(once, presets);
    expect(again).toMatchObject({ kind: 'applied', patch: [] });
    // envFrom from two presets naming the same source is added once.
    const twice = applyPresets(p, [...presets, preset('db2', { selector: frontend, envFrom: [{ configMapRef: { name: 'cm' } }] })]);
    if (twice.kind !== 'applied') throw new Error(twice.kind);
    expect(patched(p, twice.patch).spec.containers[0]!.envFrom).toEqual([{ configMapRef: { name: 'cm' } }]);
  });

  it('updates the annotation of a preset applied at an older resourceVersion', () => {
    const p = pod({}, { annotations: { 'podpreset.admission.kubernetes.io/podpreset-db': '3' } });
    const out = applyPresets(p, [preset('db', { selector: frontend }, 'app', '9')]);
    expect(out).toMatchObject({ kind: 'applied', patch: [{ op: 'replace', path: '/metadata/annotations/podpreset.admission.kubernetes.io~1podpreset-db', value: '9' }] });
  });

  it('skips a preset with an invalid selector and still applies the valid ones', () => {
    const bad = preset('bad', { selector: { matchExpressions: [{ key: 'role', operator: 'Gt' as 'In', values: ['1'] }] }, env: [{ name: 'BAD', value: '1' }] });
    const noValues = preset('no-values', { selector: { matchExpressions: [{ key: 'role', operator: 'In' }] }, env: [{ name: 'NV', value: '1' }] });
    const good = preset('good', { selector: frontend, env: [{ name: 'GOOD', value: '1' }] });
    const out = applyPresets(pod(), [bad, good, noValues]);
    expect(out.kind).toBe('applied');
    if (out.kind !== 'applied') return;
    expect(out.presets).toEqual(['good']);
    expect(out.invalid.map((i) => i.preset.metadata.name)).toEqual(['bad', 'no-values']);
    expect(out.invalid[0]!.problems.join()).toMatch(/operator "Gt"/);
    expect(out.invalid[1]!.problems.join()).toMatch(/values must be non-empty/);
    expect(patched(pod(), out.patch).spec.containers[0]!.env).toEqual([{ name: 'GOOD', value: '1' }]);
    // An invalid preset alone: nothing applied, still reported.
    expect(applyPresets(pod(), [bad])).toMatchObject({ kind: 'no-match', invalid: [{ preset: { metadata: { name: 'bad' } } }] });
  });

  it('never mutates mirror pods', () => {
    const p = pod({}, { annotations: { 'kubernetes.io/config.mirror': 'abc' } });
    expect(applyPresets(p, [preset('db', { selector: frontend, env: [{ name: 'X', value: '1' }] })]).kind).toBe('mirror');
  });

  it('takes the namespace from the request when the pod leaves it out, without patching it in', () => {
    const p = pod({}, { namespace: undefined });
    const out = applyPresets(p, [preset('db', { selector: frontend, env: [{ name: 'X', value: '1' }] })], 'app');
    expect(out.kind).toBe('applied');
    if (out.kind === 'applied') expect(out.patch.some((o) => o.path.startsWith('/metadata/namespace'))).toBe(false);
  });

  it('marks the dry-run probe pod with an escaped annotation path', () => {
    const p = pod({}, { annotations: { a: 'b' } });
    expect(probePatch(p, 'fedfeat.io/webhook-probe-seen')).toEqual([{ op: 'add', path: '/metadata/annotations/fedfeat.io~1webhook-probe-seen', value: 'true' }]);
    expect(probePatch(pod(), 'fedfeat.io/webhook-probe-seen')).toEqual([{ op: 'add', path: '/metadata/annotations', value: { 'fedfeat.io/webhook-probe-seen': 'true' } }]);
  });
});
