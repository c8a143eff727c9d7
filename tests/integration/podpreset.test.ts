// The PodPreset tactic on a real member API server: install, admission
// semantics checked on the pods the API server stored, webhook outage,
// certificate renewal under load, and revert.
import type { Pod } from '../../reconfigurators/podpreset/podpreset-api.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { KubeApiError } from '../../kube-client/client.js';
import { startComponent, stopComponent } from '../../local-federation/components.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator } from '../../reconfigurators/podpreset/reconfigurator.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { adminClient, eventually, memberContext, tacticNamespace, TEST_FEDERATION } from './federation.js';
import { sleep } from '../../kube-client/wait.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';

const MEMBER = 'member-2';
const NS = 'pp-test';
const FEATURE = { name: 'podpreset' } as const;

describe('PodPreset tactic', () => {
  let member: KubeClient;
  let ctx: MemberContext;
  const events: string[] = [];
  const r = new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, probeImage: 'fedfeat.local/pause:3.10' });

  const createPod = async (name: string, spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}, namespace = NS): Promise<Pod> =>
    member.post<Pod>(`/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, labels: { role: 'frontend' }, ...meta },
      spec: { containers: [{ name: 'app', image: 'fedfeat.local/tools:1.0', command: ['sleep', '3600'] }], ...spec },
    });
  const preset = (name: string, spec: Record<string, unknown>) => member.post(`/apis/settings.k8s.io/v1alpha1/namespaces/${NS}/podpresets`, {
    apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name }, spec,
  });
  const envOf = (p: Pod, i = 0) => Object.fromEntries((p.spec.containers[i]!.env ?? []).map((e) => [e.name, e.value]));

  beforeAll(async () => {
    member = await adminClient(MEMBER);
    ctx = await memberContext(MEMBER, member, events);
    await r.revert(ctx); // a clean member whatever ran before
    await member.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }).catch((e: unknown) => {
      if (!(e instanceof KubeApiError && e.statusCode === 409)) throw e;
    });
  });

  afterAll(async () => {
    await member.delete(`/api/v1/namespaces/${NS}`);
    await member.waitGone([`/api/v1/namespaces/${NS}`], 120_000); // later tests compare the member's namespaces
    await r.revert(ctx);
    member.close();
  });

  it('installs the API and webhook where they were missing, and probes Supported', async () => {
    expect((await r.probe(ctx)).reason).toBe('APINotServed');
    const out = await probeThenReconfigure(r, ctx, { name: 'podpreset' });
    expect(out.message).toContain('MutatingWebhookConfiguration fedfeat-podpreset');
    const verified = await r.verify(ctx, FEATURE, 60_000);
    expect(verified).toMatchObject({ state: 'Supported', reason: 'APIServedAndWebhookAnswering' });
    // Idempotent: running it again changes nothing that matters and stays Supported.
    await probeThenReconfigure(r, ctx, { name: 'podpreset' });
    expect((await r.probe(ctx)).state).toBe('Supported');
    const mwc = await member.get<{ webhooks: Array<{ failurePolicy: string; sideEffects: string; timeoutSeconds: number }> }>(
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset');
    expect(mwc.webhooks[0]).toMatchObject({ failurePolicy: 'Ignore', sideEffects: 'NoneOnDryRun', timeoutSeconds: 5 });
  });

  it('injects env and a volume mount into every container and init container of a matching pod', async () => {
    await preset('db', {
      selector: { matchLabels: { role: 'frontend' } },
      env: [{ name: 'DB_PORT', value: '6379' }],
      volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
      volumes: [{ name: 'cache', emptyDir: {} }],
    });
    // The webhook's cache sees the new preset within moments; retry pod creation until it does.
    const pod = await eventually('pod with the preset applied', async () => {
      const name = `web-${Date.now()}`;
      const p = await createPod(name, { initContainers: [{ name: 'init', image: 'fedfeat.local/tools:1.0', command: ['true'] }] });
      if (p.metadata.annotations?.['podpreset.admission.kubernetes.io/podpreset-db']) return p;
      await member.delete(`/api/v1/namespaces/${NS}/pods/${name}`);
      return undefined;
    }, 30_000);
    const stored = await member.get<Pod>(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`);
    expect(envOf(stored)).toEqual({ DB_PORT: '6379' });
    expect(stored.spec.containers[0]!.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'cache', mountPath: '/cache' })]));
    expect(stored.spec.initContainers![0]!.env).toEqual([{ name: 'DB_PORT', value: '6379' }]);
    expect(stored.spec.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'cache', emptyDir: {} })]));
    const rv = (await member.get<KubeObject>(`/apis/settings.k8s.io/v1alpha1/namespaces/${NS}/podpresets/db`)).metadata.resourceVersion;
    expect(stored.metadata.annotations!['podpreset.admission.kubernetes.io/podpreset-db']).toBe(rv);
  });

  it('merges several presets, and leaves alone excluded pods, unmatched pods and kube-system', async () => {
    await preset('extra', { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'EXTRA', value: 'yes' }] });
    const both = await eventually('both presets applied', async () => {
      const p = await createPod(`multi-${Date.now()}`);
      return p.metadata.annotations?.['podpreset.admission.kubernetes.io/podpreset-extra'] ? p : undefined;
    }, 30_000);
    expect(envOf(both)).toEqual({ DB_PORT: '6379', EXTRA: 'yes' });

    const excluded = await createPod('excluded', {}, { annotations: { 'podpreset.admission.kubernetes.io/exclude': 'true' } });
    expect(envOf(excluded)).toEqual({});
    const unmatched = await createPod('backend', {}, { labels: { role: 'backend' } });
    expect(envOf(unmatched)).toEqual({});
    expect(Object.keys(unmatched.metadata.annotations ?? {}).filter((k) => k.startsWith('podpreset.'))).toEqual([]);
    // kube-system is outside the webhook's namespaceSelector (a preset there would not apply either).
    const sys = await createPod(`sys-${Date.now()}`, {}, {}, 'kube-system');
    expect(sys.metadata.annotations ?? {}).toEqual({});
    await member.delete(`/api/v1/namespaces/kube-system/pods/${sys.metadata.name}`);
  });

  it('admits a conflicting pod unmodified and reports the conflict as an Event', async () => {
    const pod = await createPod('conflict', { containers: [{ name: 'app', image: 'fedfeat.local/tools:1.0', env: [{ name: 'DB_PORT', value: '5432' }] }] });
    expect(envOf(pod)).toEqual({ DB_PORT: '5432' });
    expect(Object.keys(pod.metadata.annotations ?? {})).toEqual([]);
    const ev = await eventually('PodPresetConflict event', async () => (await member.list<KubeObject & { reason: string; message: string }>(
      `/api/v1/namespaces/${NS}/events`, { query: { fieldSelector: 'reason=PodPresetConflict' } })).items[0], 30_000);
    expect(ev.message).toContain('DB_PORT');
  });

  it('follows failurePolicy Ignore while the webhook is down, and reports it until the webhook is back', async () => {
    await stopComponent(TEST_FEDERATION, `${MEMBER}/podpreset-webhook`);
    try {
      const pod = await createPod('during-outage');
      expect(envOf(pod)).toEqual({}); // admitted, without presets
      const probe = await r.probe(ctx);
      expect(probe).toMatchObject({ state: 'Missing', reason: 'WebhookNotAnswering' });
    } finally {
      startComponent(TEST_FEDERATION, `${MEMBER}/podpreset-webhook`);
    }
    expect((await r.verify(ctx, FEATURE, 60_000)).state).toBe('Supported');
  });

  it('renews the serving certificate without failing admissions', async () => {
    const secretPath = '/api/v1/namespaces/fedfeat-system/secrets/podpreset-webhook-tls';
    const before = (await member.get<KubeObject & { data: Record<string, string> }>(secretPath)).data['tls.crt'];
    let stop = false;
    let created = 0;
    const missed: string[] = [];
    const load = (async () => {
      while (!stop) {
        const p = await createPod(`load-${Date.now()}-${created}`);
        created++;
        if (envOf(p).DB_PORT !== '6379') missed.push(p.metadata.name);
      }
    })();
    await sleep(1000);
    await r.ensureCertificates(ctx, (await r.probe(ctx)).observed, true);
    // The webhook rereads its Secret every 10 s: keep creating pods across the reload.
    await sleep(15_000);
    stop = true;
    await load;
    const after = (await member.get<KubeObject & { data: Record<string, string> }>(secretPath)).data['tls.crt'];
    expect(after).not.toBe(before);
    expect(created).toBeGreaterThan(10);
    expect(missed).toEqual([]);
    expect((await r.probe(ctx)).state).toBe('Supported');
  });

  it('reverts to nothing of fedfeat on the member', async () => {
    const out = await r.revert(ctx);
    expect(out.changed).toBe(true);
    expect(events.some((e) => e.includes('PodPresetsDeleted'))).toBe(true);
    expect(await tacticNamespace(member, 'fedfeat-system')).toBeUndefined();
    expect(await member.getOptional('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io')).toBeUndefined();
    const mine = { query: { labelSelector: 'app.kubernetes.io/part-of=fedfeat-podpreset' } };
    for (const kind of ['clusterroles', 'clusterrolebindings']) {
      expect((await member.list(`/apis/rbac.authorization.k8s.io/v1/${kind}`, mine)).items).toEqual([]);
    }
    expect((await member.list('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', mine)).items).toEqual([]);
    expect((await r.probe(ctx)).reason).toBe('APINotServed');
  });
});
