// PodPresetWebhook.review() on an informer cache fed by a fake client: the
// I/O around the pure merge (namespace lookup, Events, warnings, the patch).
import { jest } from '@jest/globals';
import { applyPatch, type Operation } from 'rfc6902';
import type { KubeClient, KubeObject } from '../../../../kube-client/client.js';
import { createLogger } from '../../../../controller/logger.js';
import type { Pod, PodPreset } from '../../../../reconfigurators/podpreset/podpreset-api.js';
import { PodPresetWebhook, type AdmissionRequest } from '../../../../webhooks/podpreset/server.js';

const preset = (name: string, namespace: string, spec: Record<string, unknown>, rv = '5'): PodPreset => ({
  apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name, namespace, uid: `uid-${namespace}-${name}`, resourceVersion: rv }, spec,
} as PodPreset);
const pod = (meta: Partial<Pod['metadata']> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { role: 'frontend' }, ...meta }, spec: { containers: [{ name: 'web', image: 'nginx' }] },
});
const request = (object: Pod, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', namespace: 'app', object, ...extra,
});
const decode = (patch?: string): Operation[] => (patch ? JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as Operation[] : []);

async function webhookWith(presets: PodPreset[]) {
  const posted: Array<{ path: string; body: KubeObject & { reason: string; message: string; involvedObject: { name: string } } }> = [];
  const client = {
    async list() {
      return { metadata: { resourceVersion: '1' }, items: presets };
    },
    async watch(_p: string, _q: unknown, _on: unknown, signal?: AbortSignal) {
      return new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true }));
    },
    async post(path: string, body: unknown) {
      posted.push({ path, body: body as (typeof posted)[number]['body'] });
      return body;
    },
  } as unknown as KubeClient;
  const wh = new PodPresetWebhook(client, createLogger('error', true), { host: '127.0.0.1', port: 0, tls: { describe: 'none', load: async () => undefined } });
  wh.presets.start();
  await wh.presets.waitForSync();
  return { wh, posted };
}

describe('PodPresetWebhook.review', () => {
  const frontend = { matchLabels: { role: 'frontend' } };

  it('applies the namespace\'s presets, looked up through the namespace index only', async () => {
    const others = Array.from({ length: 50 }, (_, i) => preset(`o${i}`, `other-${i}`, { selector: {}, env: [{ name: 'OTHER', value: String(i) }] }));
    const { wh } = await webhookWith([...others, preset('db', 'app', { selector: frontend, env: [{ name: 'DB', value: '1' }] })]);
    const listAll = jest.spyOn(wh.presets, 'list');
    const p = pod();
    const res = wh.review(request(p));
    expect(listAll).not.toHaveBeenCalled();
    expect(res.patchType).toBe('JSONPatch');
    const out = structuredClone(p);
    expect(applyPatch(out, decode(res.patch)).every((e) => e === null)).toBe(true);
    expect(out.spec.containers[0]!.env).toEqual([{ name: 'DB', value: '1' }]);
    expect(out.metadata.annotations).toEqual({ 'podpreset.admission.kubernetes.io/podpreset-db': '5' });
    expect(out.metadata.namespace).toBeUndefined(); // taken from the request, not patched in
    await wh.stop();
  });

  it('skips an invalid preset, applies the others, warns the creator and records one Event per preset version', async () => {
    const bad = preset('bad', 'app', { selector: { matchExpressions: [{ key: 'role', operator: 'Gt', values: ['1'] }] }, env: [{ name: 'BAD', value: '1' }] });
    const { wh, posted } = await webhookWith([bad, preset('good', 'app', { selector: frontend, env: [{ name: 'GOOD', value: '1' }] })]);
    const first = wh.review(request(pod()));
    const second = wh.review(request(pod({ name: 'p2' })));
    for (const res of [first, second]) {
      expect(decode(res.patch).find((o) => o.path === '/spec/containers/0/env')).toMatchObject({ value: [{ name: 'GOOD', value: '1' }] });
      expect(res.warnings?.join()).toMatch(/PodPreset bad skipped: .*operator "Gt"/);
    }
    expect(posted.map((p) => [p.path, p.body.reason, p.body.involvedObject.name])).toEqual([['/api/v1/namespaces/app/events', 'PodPresetInvalid', 'bad']]);
    expect(posted[0]!.body).toMatchObject({ type: 'Warning', involvedObject: { kind: 'PodPreset', uid: 'uid-app-bad' } });
    // Dry runs record nothing (sideEffects: NoneOnDryRun).
    const { wh: wh2, posted: posted2 } = await webhookWith([bad]);
    wh2.review(request(pod(), { dryRun: true }));
    expect(posted2).toEqual([]);
    await wh.stop();
    await wh2.stop();
  });

  it('admits a mirror pod untouched', async () => {
    const { wh } = await webhookWith([preset('db', 'app', { selector: {}, env: [{ name: 'DB', value: '1' }] })]);
    const res = wh.review(request(pod({ annotations: { 'kubernetes.io/config.mirror': 'hash' } })));
    expect(res).toEqual({ uid: 'u1', allowed: true });
    await wh.stop();
  });

  it('returns no patch when the pod already has everything (reinvocation)', async () => {
    const { wh } = await webhookWith([preset('db', 'app', { selector: frontend, env: [{ name: 'DB', value: '1' }] })]);
    const p = pod({ annotations: { 'podpreset.admission.kubernetes.io/podpreset-db': '5' } });
    p.spec.containers[0]!.env = [{ name: 'DB', value: '1' }];
    expect(wh.review(request(p))).toEqual({ uid: 'u1', allowed: true });
    await wh.stop();
  });
});
