// The PodPreset webhook's admission semantics on a real member API server:
// API-server defaults are no conflict (and defaults.ts predicts what the API
// server stores), idempotence, invalid presets skipped and reported while the
// valid ones apply, the CRD refusing invalid selectors, and mirror pods left
// alone. The webhook runs as the local federation's host process (URL mode).
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { EnvVar, Pod, Volume, VolumeMount } from '../../reconfigurators/podpreset/podpreset-api.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { KubeApiError } from '../../kube-client/client.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator } from '../../reconfigurators/podpreset/reconfigurator.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { normalizeEnvVar, normalizeVolume, normalizeVolumeMount } from '../../webhooks/podpreset/defaults.js';
import { adminClient, eventually, memberContext, federation } from './federation.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';

const MEMBER = 'member-1';
const NS = 'ppw-test';
const NS_INVALID = 'ppw-invalid';
const APPLIED = 'podpreset.admission.kubernetes.io/podpreset-';
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io';
type EventObj = KubeObject & { reason: string; message: string; type: string; involvedObject: { name: string; kind: string } };

// Items as a preset author writes them: none of the fields the API server defaults in a pod.
const RAW_ENV: EnvVar[] = [
  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { containerName: 'app', resource: 'limits.memory' } } },
  { name: 'PLAIN', value: 'x' },
];
const RAW_VOLUMES: Volume[] = [
  { name: 'cfg', configMap: { name: 'app-config', items: [{ key: 'a', path: 'a.txt' }] } },
  { name: 'creds', secret: { secretName: 'app-secret' } },
  { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1000m' } }] } },
  { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token', audience: 'x' } }, { configMap: { name: 'app-config' } }] } },
  { name: 'logs', hostPath: { path: '/var/log/app' } },
  { name: 'scratch', emptyDir: { sizeLimit: '1024Mi' } },
  { name: 'bare' },
];
const RAW_MOUNTS: VolumeMount[] = [
  { name: 'cfg', mountPath: '/etc/app', readOnly: false },
  { name: 'info', mountPath: '/etc/info', readOnly: true },
];

describe('PodPreset webhook admission on a real API server', () => {
  let member: KubeClient;
  let ctx: MemberContext;
  const r = new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, probeImage: 'fedfeat.local/pause:3.10' });

  const podBody = (name: string, container: Partial<Pod['spec']['containers'][number]> = {}, spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, labels: { role: 'frontend' }, ...meta },
    spec: {
      containers: [{ name: 'app', image: 'fedfeat.local/tools:1.0', command: ['sleep', '3600'], resources: { limits: { cpu: '100m', memory: '64Mi' } }, ...container }],
      ...spec,
    },
  });
  const createPod = (ns: string, body: unknown) => member.post<Pod>(`/api/v1/namespaces/${ns}/pods`, body);
  const preset = (ns: string, name: string, spec: Record<string, unknown>) => member.post<KubeObject>(`/apis/settings.k8s.io/v1alpha1/namespaces/${ns}/podpresets`, {
    apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name }, spec,
  });
  const mkns = (name: string) => member.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch((e: unknown) => {
    if (!(e instanceof KubeApiError && e.statusCode === 409)) throw e;
  });
  /** Creates pods until one carries the preset's annotation: the webhook's cache sees a new preset within moments. */
  const podWithPreset = (ns: string, presetName: string, body: (name: string) => unknown) => eventually(`pod with preset ${presetName}`, async () => {
    const name = `p-${Date.now()}`;
    const p = await createPod(ns, body(name));
    if (p.metadata.annotations?.[`${APPLIED}${presetName}`]) return p;
    await member.delete(`/api/v1/namespaces/${ns}/pods/${name}`);
    return undefined;
  }, 30_000);
  const events = async (ns: string, reason: string) =>
    (await member.list<EventObj>(`/api/v1/namespaces/${ns}/events`, { query: { fieldSelector: `reason=${reason}` } })).items;

  beforeAll(async () => {
    member = await adminClient(MEMBER);
    ctx = await memberContext(MEMBER, member);
    await r.revert(ctx);
    // A previous run's namespaces may still be terminating.
    for (const ns of [NS, NS_INVALID]) await member.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    expect(await member.waitGone([NS, NS_INVALID].map((ns) => `/api/v1/namespaces/${ns}`), 120_000)).toEqual([]);
    await probeThenReconfigure(r, ctx, { name: 'podpreset' });
    // The dry-run probe comes back with its annotation patched in (an escaped '/' in the JSON Patch path).
    expect(await r.verify(ctx, { name: 'podpreset' }, 60_000)).toMatchObject({ state: 'Supported', reason: 'APIServedAndWebhookAnswering' });
    await mkns(NS);
    await mkns(NS_INVALID);
  });

  afterAll(async () => {
    await member.delete(`/api/v1/namespaces/${NS}`);
    await member.delete(`/api/v1/namespaces/${NS_INVALID}`);
    await member.waitGone([NS, NS_INVALID].map((ns) => `/api/v1/namespaces/${ns}`), 120_000); // later tests compare the member's namespaces
    await r.revert(ctx);
    member.close();
  });

  it('the API server defaults what a preset leaves out, and normalize*() predict exactly what it stores', async () => {
    // Excluded from presets, so this shows the API server alone.
    const stored = await createPod(NS, podBody('defaults-probe', { env: RAW_ENV, volumeMounts: RAW_MOUNTS }, { volumes: RAW_VOLUMES },
      { annotations: { 'podpreset.admission.kubernetes.io/exclude': 'true' } }));
    const c = stored.spec.containers[0]!;
    const vol = (name: string) => stored.spec.volumes!.find((v) => v.name === name)!;
    // What the server really stores (so the raw items would have been called conflicts before defaults.ts).
    expect(c.env![0]!.valueFrom).toEqual({ fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } });
    expect(c.env![1]!.valueFrom).toEqual({ resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '0' } });
    expect(vol('cfg').configMap).toEqual({ name: 'app-config', items: [{ key: 'a', path: 'a.txt' }], defaultMode: 420 });
    expect(vol('creds').secret).toEqual({ secretName: 'app-secret', defaultMode: 420 });
    expect(vol('info').downwardAPI).toMatchObject({ defaultMode: 420, items: [{ fieldRef: { apiVersion: 'v1' } }, { resourceFieldRef: { divisor: '1' } }] });
    expect(vol('proj').projected).toMatchObject({ defaultMode: 420, sources: [{ serviceAccountToken: { expirationSeconds: 3600 } }, {}] });
    expect(vol('logs').hostPath).toEqual({ path: '/var/log/app', type: '' });
    expect(vol('scratch').emptyDir).toEqual({ sizeLimit: '1Gi' });
    expect(vol('bare')).toEqual({ name: 'bare', emptyDir: {} });
    expect(c.volumeMounts!.find((m) => m.name === 'cfg')).toEqual({ name: 'cfg', mountPath: '/etc/app' });
    // defaults.ts: the raw item and the stored one normalize to the same thing, every one of them.
    for (const e of RAW_ENV) expect(normalizeEnvVar(c.env!.find((x) => x.name === e.name)!)).toEqual(normalizeEnvVar(e));
    for (const v of RAW_VOLUMES) expect(normalizeVolume(vol(v.name))).toEqual(normalizeVolume(v));
    for (const m of RAW_MOUNTS) expect(normalizeVolumeMount(c.volumeMounts!.find((x) => x.name === m.name)!)).toEqual(normalizeVolumeMount(m));
    // And normalizing is needed: raw and stored differ as they are.
    expect(RAW_VOLUMES.every((v) => isDeepStrictEqual(v, vol(v.name)))).toBe(false);
  });

  it('applies a preset to a pod that already has its items (defaulted by the API server): no conflict, nothing twice', async () => {
    await preset(NS, 'defaults', { selector: { matchLabels: { role: 'frontend' } }, env: RAW_ENV, volumes: RAW_VOLUMES, volumeMounts: RAW_MOUNTS });
    const pod = await podWithPreset(NS, 'defaults', (name) => podBody(name, { env: RAW_ENV, volumeMounts: RAW_MOUNTS }, { volumes: RAW_VOLUMES }));
    const stored = await member.get<Pod>(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`);
    expect(stored.spec.containers[0]!.env!.map((e) => e.name)).toEqual(RAW_ENV.map((e) => e.name));
    expect(stored.spec.containers[0]!.volumeMounts!.filter((m) => RAW_MOUNTS.some((x) => x.name === m.name))).toHaveLength(RAW_MOUNTS.length);
    expect(stored.spec.volumes!.filter((v) => RAW_VOLUMES.some((x) => x.name === v.name))).toHaveLength(RAW_VOLUMES.length);
    const rv = (await member.get<KubeObject>(`/apis/settings.k8s.io/v1alpha1/namespaces/${NS}/podpresets/defaults`)).metadata.resourceVersion;
    expect(stored.metadata.annotations![`${APPLIED}defaults`]).toBe(rv);
    // A real difference behind the defaults is still a conflict: admitted unmodified, reported.
    const conflicting = await createPod(NS, podBody('conflicting', {}, { volumes: [{ name: 'cfg', configMap: { name: 'app-config', defaultMode: 0o600 } }] }));
    expect(conflicting.metadata.annotations?.[`${APPLIED}defaults`]).toBeUndefined();
    expect(conflicting.spec.containers[0]!.env ?? []).toEqual([]);
    const ev = await eventually('PodPresetConflict event', async () => (await events(NS, 'PodPresetConflict'))[0], 30_000);
    expect(ev.message).toContain('volume name "cfg"');
  });

  it('is idempotent: a pod created from one the webhook already mutated gets nothing twice (envFrom included)', async () => {
    await preset(NS, 'from', { selector: { matchLabels: { tier: 'copy' } }, envFrom: [{ configMapRef: { name: 'app-config' } }], env: [{ name: 'FROM', value: '1' }] });
    const labels = { tier: 'copy' };
    const first = await podWithPreset(NS, 'from', (name) => podBody(name, {}, {}, { labels }));
    const c = first.spec.containers[0]!;
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'app-config' } }]);
    // A copy of the mutated pod (as `kubectl get -o yaml | kubectl create -f -` makes), annotations included.
    const copy = await createPod(NS, podBody('copy', { env: c.env, envFrom: c.envFrom }, {}, { labels, annotations: first.metadata.annotations }));
    expect(copy.spec.containers[0]!.envFrom).toEqual([{ configMapRef: { name: 'app-config' } }]);
    expect(copy.spec.containers[0]!.env).toEqual([{ name: 'FROM', value: '1' }]);
    expect(copy.metadata.annotations![`${APPLIED}from`]).toBe(first.metadata.annotations![`${APPLIED}from`]);
  });

  it('refuses invalid selectors at the CRD: unknown operator, values with In missing or with Exists present, non-string label values', async () => {
    const refused = async (selector: unknown) => {
      const err = await preset(NS_INVALID, `refused-${Date.now()}`, { selector }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      return (err as KubeApiError).statusCode;
    };
    expect(await refused({ matchExpressions: [{ key: 'role', operator: 'Gt', values: ['1'] }] })).toBe(422);
    expect(await refused({ matchExpressions: [{ key: 'role', operator: 'In' }] })).toBe(422);
    expect(await refused({ matchExpressions: [{ key: 'role', operator: 'NotIn', values: [] }] })).toBe(422);
    expect(await refused({ matchExpressions: [{ key: 'role', operator: 'Exists', values: ['x'] }] })).toBe(422);
    expect(await refused({ matchLabels: { role: 1 } })).toBe(422);
    // Valid selectors still pass.
    await preset(NS_INVALID, 'ok-selector', { selector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['none'] }, { key: 'x', operator: 'DoesNotExist' }] } });
  });

  it('skips a preset stored with an invalid selector (before the schema tightened), applies the valid ones, and reports it', async () => {
    // Store an invalid preset the way an older CRD allowed: loosen the schema, write, then let fedfeat restore it.
    const crd = await member.get<KubeObject & { spec: { versions: Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }> } }>(CRD_PATH);
    const selector = (crd.spec.versions[0]!.schema.openAPIV3Schema as { properties: { spec: { properties: { selector: Record<string, unknown> } } } }).properties.spec.properties.selector;
    selector.properties = { matchExpressions: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } };
    await member.request('PUT', CRD_PATH, { body: crd });
    const bad = await eventually('invalid preset accepted by the loosened CRD', () =>
      preset(NS_INVALID, 'legacy-bad', { selector: { matchExpressions: [{ key: 'role', operator: 'Gt', values: ['1'] }] }, env: [{ name: 'BAD', value: '1' }] })
        .catch(() => undefined), 30_000);
    await probeThenReconfigure(r, ctx, { name: 'podpreset' }); // re-applies fedfeat's CRD: the stored preset stays as it is
    await eventually('CRD schema restored', async () => {
      const err = await preset(NS_INVALID, `probe-${Date.now()}`, { selector: { matchExpressions: [{ key: 'a', operator: 'Gt' }] } }).then(() => undefined, (e: unknown) => e);
      return err instanceof KubeApiError && err.statusCode === 422;
    }, 30_000);
    expect((await member.get<KubeObject & { spec: { selector: unknown } }>(`/apis/settings.k8s.io/v1alpha1/namespaces/${NS_INVALID}/podpresets/legacy-bad`)).spec.selector)
      .toEqual({ matchExpressions: [{ key: 'role', operator: 'Gt', values: ['1'] }] });

    await preset(NS_INVALID, 'good', { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'GOOD', value: '1' }] });
    const pod = await podWithPreset(NS_INVALID, 'good', (name) => podBody(name));
    expect(pod.spec.containers[0]!.env).toEqual([{ name: 'GOOD', value: '1' }]);
    expect(pod.metadata.annotations![`${APPLIED}legacy-bad`]).toBeUndefined();

    const ev = await eventually('PodPresetInvalid event', async () => (await events(NS_INVALID, 'PodPresetInvalid')).find((e) => e.involvedObject.name === 'legacy-bad'), 30_000);
    expect(ev).toMatchObject({ type: 'Warning', involvedObject: { kind: 'PodPreset', name: 'legacy-bad', uid: bad.metadata.uid } });
    expect(ev.message).toMatch(/operator "Gt"/);
    const log = federation().processes.find((p) => p.name === `${MEMBER}/podpreset-webhook`)!.logFile;
    expect(readFileSync(log, 'utf8').split('\n').some((l) => l.includes('invalid PodPreset skipped') && l.includes('legacy-bad'))).toBe(true);
  });

  it('never mutates a mirror pod', async () => {
    await preset(NS, 'everything', { selector: {}, env: [{ name: 'EVERYWHERE', value: '1' }] });
    await podWithPreset(NS, 'everything', (name) => podBody(name));
    // The API server requires a node for a mirror pod (the kubelet creates them for its static pods).
    const node = (await member.list<KubeObject>('/api/v1/nodes')).items[0]!.metadata.name;
    const mirror = await createPod(NS, podBody('mirror', {}, { nodeName: node }, { annotations: { 'kubernetes.io/config.mirror': 'static-manifest-hash' } }));
    expect(mirror.metadata.annotations).toEqual({ 'kubernetes.io/config.mirror': 'static-manifest-hash' });
    expect(mirror.spec.containers[0]!.env ?? []).toEqual([]);
  });
});
