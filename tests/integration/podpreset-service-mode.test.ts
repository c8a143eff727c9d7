// The PodPreset tactic the way users get it: the webhook as a Deployment of
// fedfeat's image behind a Service, no URL. On member-1 the Deployment's pods
// run on the real nodes (containerd + kubelet) from the locally built image;
// the member's API server calls them through the Service (endpoint routing:
// it runs on the host, where no kube-proxy runs), they read presets from the
// API server through the `kubernetes` Service IP (the nodes' kube-proxy), and
// a pod created on the member gets its preset.
import type { Pod } from '../../reconfigurators/podpreset/podpreset-api.js';
import { createLogger } from '../../controller/logger.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { FEDFEAT_IMAGE, PAUSE_IMAGE } from '../../local-federation/images/build-images.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator } from '../../reconfigurators/podpreset/reconfigurator.js';
import { NAMESPACE, WEBHOOK_NAME } from '../../reconfigurators/podpreset/render.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { adminClient, describeRealNode, eventually } from './federation.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';

const NS = 'pp-service-test';

describeRealNode('PodPreset tactic in Service mode (webhook pods on the real nodes)', (_first, nodes) => {
  let member: KubeClient;
  let ctx: MemberContext;
  const r = new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, image: FEDFEAT_IMAGE, probeImage: PAUSE_IMAGE });

  beforeAll(async () => {
    member = await adminClient('member-1');
    // No fedfeat.io/podpreset-webhook-url annotation: the tactic deploys the webhook as a Service.
    ctx = {
      cluster: 'member-1', annotations: {}, client: member, log: createLogger('warn'), signal: new AbortController().signal,
      options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 }, now: () => new Date(), event: () => undefined,
    };
  });

  afterAll(async () => {
    await member.delete(`/api/v1/namespaces/${NS}`).catch(() => undefined);
    await r.revert(ctx);
    member.close();
  });

  it('runs the webhook Deployment on the real node, is called through its Service, and applies presets', async () => {
    const out = await probeThenReconfigure(r, ctx, { name: 'podpreset' });
    expect(out.message).toContain(`Service ${NAMESPACE}/${WEBHOOK_NAME}`);
    const mwc = await member.get<{ webhooks: Array<{ clientConfig: { url?: string; service?: { name: string } } }> }>('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset');
    expect(mwc.webhooks[0]!.clientConfig.url).toBeUndefined();
    expect(mwc.webhooks[0]!.clientConfig.service?.name).toBe(WEBHOOK_NAME);

    const verified = await r.verify(ctx, { name: 'podpreset' }, 180_000);
    expect(verified).toMatchObject({ state: 'Supported', reason: 'APIServedAndWebhookAnswering' });
    // The answering pods are real: Running on the real node from fedfeat's image, as the non-root user.
    const pods = await member.list<KubeObject & { spec: { nodeName: string; containers: Array<{ image: string }> }; status: { phase: string } }>(
      `/api/v1/namespaces/${NAMESPACE}/pods`, { query: { labelSelector: `app.kubernetes.io/name=${WEBHOOK_NAME}` } });
    const running = pods.items.filter((p) => p.status.phase === 'Running');
    expect(running.length).toBeGreaterThan(0);
    for (const p of running) {
      expect(nodes.map((n) => n.nodeName)).toContain(p.spec.nodeName);
      expect(p.spec.containers[0]!.image).toBe(FEDFEAT_IMAGE);
    }

    await member.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await member.post(`/apis/settings.k8s.io/v1alpha1/namespaces/${NS}/podpresets`, {
      apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'db' },
      spec: { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'DB_PORT', value: '6379' }] },
    });
    // The webhook's informer sees the new preset shortly after it is created.
    const pod = await eventually('a pod admitted with the preset', async () => {
      const p = await member.post<Pod>(`/api/v1/namespaces/${NS}/pods`, {
        apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'fe-', labels: { role: 'frontend' } },
        spec: { containers: [{ name: 'app', image: PAUSE_IMAGE }], nodeName: 'nowhere' },
      }, { query: { dryRun: 'All' } });
      return (p.spec.containers[0]!.env ?? []).some((e) => e.name === 'DB_PORT' && e.value === '6379') ? p : undefined;
    }, 60_000);
    expect(pod.metadata.annotations?.['podpreset.admission.kubernetes.io/podpreset-db']).toBeDefined();
  }, 300_000);

  it('reverts the Deployment, Service and webhook configuration', async () => {
    await r.revert(ctx);
    expect(await member.getOptional(`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${WEBHOOK_NAME}`)).toBeUndefined();
    expect(await member.getOptional('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset')).toBeUndefined();
    expect((await r.probe(ctx)).reason).toBe('APINotServed');
  }, 300_000);
});
