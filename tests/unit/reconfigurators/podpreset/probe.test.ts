import { decide } from '../../../../reconfigurators/decision.js';
import { createWebhookCA, issueServingCert, type Pem } from '../../../../reconfigurators/podpreset/certs.js';
import { KubeApiError, type KubeClient } from '../../../../kube-client/client.js';
import { completeGather, gather, PODPRESET_RULES, type PodPresetObserved, type Secret } from '../../../../reconfigurators/podpreset/probe.js';

const DAY = 86_400_000;
const secret = (p: Pem): Secret => ({
  apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' },
  data: { 'tls.crt': Buffer.from(p.cert).toString('base64'), 'tls.key': Buffer.from(p.key).toString('base64') },
});
const endpoint = { dnsNames: ['podpreset-webhook.fedfeat-system.svc'], ipAddresses: [] };

describe('PodPreset decision chain', () => {
  let ca: Pem;
  let serving: Pem;
  let healthy: PodPresetObserved;
  beforeAll(async () => {
    ca = await createWebhookCA();
    serving = await issueServingCert(ca, endpoint.dnsNames, [], 365);
    healthy = {
      api: { served: true, message: 'settings.k8s.io/v1alpha1 podpresets is served' }, webhookConfigured: true, complete: true,
      caSecret: secret(ca), tlsSecret: secret(serving), dryRun: { ok: true, message: 'answered' },
      endpoint, now: new Date(), renewBeforeMs: 30 * DAY,
    };
  });

  it('is Supported only when every check passes', () => {
    expect(decide(healthy, PODPRESET_RULES)).toMatchObject({ state: 'Supported', reason: 'APIServedAndWebhookAnswering' });
  });

  it('names the most basic problem first', () => {
    const broken: PodPresetObserved = { ...healthy, api: { served: false, message: 'not served' }, webhookConfigured: false, caSecret: undefined, dryRun: { ok: false, message: 'x' } };
    expect(decide(broken, PODPRESET_RULES).reason).toBe('APINotServed');
    expect(decide({ ...broken, api: healthy.api }, PODPRESET_RULES).reason).toBe('WebhookNotConfigured');
    expect(decide({ ...broken, api: healthy.api, webhookConfigured: true }, PODPRESET_RULES).reason).toBe('CertificateMissing');
    expect(decide({ ...healthy, dryRun: { ok: false, message: 'timeout' } }, PODPRESET_RULES)).toMatchObject({ reason: 'WebhookNotAnswering', message: 'webhook configured but not answering: timeout' });
  });

  it('asks for renewal by the injected clock, 30 days before expiry', () => {
    expect(decide({ ...healthy, now: new Date(Date.now() + 300 * DAY) }, PODPRESET_RULES).state).toBe('Supported');
    expect(decide({ ...healthy, now: new Date(Date.now() + 340 * DAY) }, PODPRESET_RULES)).toMatchObject({ state: 'Missing', reason: 'CertificateNeedsRenewal' });
  });

  it('asks for a new certificate when the endpoint needs names the certificate lacks', () => {
    const moved = { ...healthy, endpoint: { dnsNames: endpoint.dnsNames, ipAddresses: ['10.0.0.7'] } };
    expect(decide(moved, PODPRESET_RULES)).toMatchObject({ reason: 'CertificateNeedsRenewal', message: expect.stringContaining('IP Address:10.0.0.7') });
  });
});

describe('PodPreset gather', () => {
  /** A member where only what `objects` holds exists; records every request. */
  function fakeMember(objects: Record<string, unknown>) {
    const requests: string[] = [];
    const client = {
      get: async (path: string) => {
        requests.push(`GET ${path}`);
        if (path === '/apis/settings.k8s.io/v1alpha1') return objects[path] ?? Promise.reject(new KubeApiError('GET', path, 404, 'NotFound', ''));
        return objects[path];
      },
      getOptional: async (path: string) => {
        requests.push(`GET ${path}`);
        return objects[path];
      },
      post: async (path: string) => {
        requests.push(`POST ${path}`);
        return { metadata: { annotations: { 'fedfeat.io/webhook-probe-seen': 'true' } } };
      },
    } as unknown as KubeClient;
    return { client, requests };
  }
  const opts = { endpoint, probeImage: 'pause', timeoutMs: 1000, now: new Date(), renewBeforeMs: 30 * DAY };

  it('sends no dry-run pod through the member\'s admission chain while the configuration is already missing', async () => {
    const m = fakeMember({});
    const seen = await gather(m.client, opts);
    expect(decide(seen, PODPRESET_RULES).reason).toBe('APINotServed');
    expect(m.requests.filter((r) => r.startsWith('POST'))).toEqual([]);
    // Discovery only: the rest cannot change the state while the API is not served.
    expect(m.requests).toEqual(['GET /apis/settings.k8s.io/v1alpha1']);
    expect(seen.complete).toBe(false);
  });

  it('completes the reads (once each) when reconfigure needs them, and not again once complete', async () => {
    const m = fakeMember({});
    const partial = await gather(m.client, opts);
    const full = await completeGather(m.client, partial, opts);
    expect(full.complete).toBe(true);
    expect(m.requests.slice(1).sort()).toEqual([
      'GET /api/v1/namespaces/fedfeat-system/secrets/podpreset-webhook-ca',
      'GET /api/v1/namespaces/fedfeat-system/secrets/podpreset-webhook-tls',
      'GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset',
      'GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/podpresets.settings.k8s.io',
    ]);
    expect(await completeGather(m.client, full, opts)).toBe(full);
    expect(m.requests).toHaveLength(5);
  });

  it('asks the webhook with a dry-run pod once everything is configured', async () => {
    const ca = await createWebhookCA();
    const m = fakeMember({
      '/apis/settings.k8s.io/v1alpha1': { resources: [{ name: 'podpresets' }] },
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset': { metadata: { name: 'fedfeat-podpreset' } },
      '/api/v1/namespaces/fedfeat-system/secrets/podpreset-webhook-ca': secret(ca),
      '/api/v1/namespaces/fedfeat-system/secrets/podpreset-webhook-tls': secret(await issueServingCert(ca, endpoint.dnsNames, [], 365)),
    });
    const seen = await gather(m.client, opts);
    expect(m.requests.filter((r) => r.startsWith('POST'))).toEqual(['POST /api/v1/namespaces/fedfeat-probe/pods']);
    expect(decide(seen, PODPRESET_RULES).state).toBe('Supported');
  });
});
