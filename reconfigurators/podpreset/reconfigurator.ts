// The API-server tactic: the PodPreset API (settings.k8s.io/v1alpha1) brought
// back on a member as a CRD plus a mutating admission webhook, without
// touching the member's control plane. Every object it creates carries
// app.kubernetes.io/managed-by=fedfeat, and revert deletes only those.
import type { DesiredFeature } from '../../api/featureconfig.js';
import { PODPRESET_API_VERSION, PODPRESET_CRD_NAME, PODPRESET_PLURAL } from './podpreset-api.js';
import { KubeApiError, KubeClient, type KubeObject } from '../../kube-client/client.js';
import { apiResourceServed } from './probe.js';
import { probeUntilSupported, type MemberContext, type ProbeResult, type Reconfigurator, type ReconfigureOutcome } from '../types.js';
import { createWebhookCA, issueServingCert, servingCertProblem, type Pem } from './certs.js';
import {
  CA_SECRET, MANAGED_BY, MWC_NAME, NAMESPACE, objectPath, PROBE_ANNOTATION, PROBE_LABEL, renderInstall, TLS_SECRET, WEBHOOK_NAME,
} from './render.js';
import { sleep } from '../../kube-client/wait.js';

/** KubeFedCluster annotation: the URL the member's API server calls the webhook at, instead of its Service. */
export const WEBHOOK_URL_ANNOTATION = 'fedfeat.io/podpreset-webhook-url';
export const FIELD_MANAGER = 'fedfeat-podpreset';
const DAY = 86_400_000;

type Secret = KubeObject & { data?: Record<string, string>; type?: string };

export interface PodPresetOptions {
  image?: string;
  certValidityDays: number;
  /** Renew the serving certificate when it has less than this left. */
  renewBeforeDays: number;
  /** Image of the dry-run probe pod (never started: dry run). */
  probeImage: string;
}

export const DEFAULT_PODPRESET_OPTIONS: PodPresetOptions = { certValidityDays: 365, renewBeforeDays: 30, probeImage: 'registry.k8s.io/pause:3.10' };

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
const isFedfeat = (o: KubeObject | undefined) => o?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'fedfeat';

export class PodPresetReconfigurator implements Reconfigurator {
  readonly name = 'podpreset-replica';
  readonly features = ['podpreset'] as const;
  readonly canReconfigure = true;

  constructor(private readonly o: PodPresetOptions = DEFAULT_PODPRESET_OPTIONS) {}

  private endpoint(ctx: MemberContext): { url?: string; dnsNames: string[]; ipAddresses: string[] } {
    const url = ctx.annotations[WEBHOOK_URL_ANNOTATION];
    const svc = [`${WEBHOOK_NAME}.${NAMESPACE}.svc`, `${WEBHOOK_NAME}.${NAMESPACE}.svc.cluster.local`];
    if (!url) return { dnsNames: svc, ipAddresses: [] };
    let host: string;
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      throw new Error(`KubeFedCluster annotation ${WEBHOOK_URL_ANNOTATION} is not a URL: "${url}"`);
    }
    if (!url.startsWith('https://')) throw new Error(`KubeFedCluster annotation ${WEBHOOK_URL_ANNOTATION} must be an https:// URL (got "${url}")`);
    const isIp = /^[\d.]+$/.test(host) || host.includes(':');
    return { url, dnsNames: isIp ? svc : [host, ...svc], ipAddresses: isIp ? [host] : [] };
  }

  async probe(ctx: MemberContext): Promise<ProbeResult> {
    const t = ctx.options.requestTimeoutMs;
    const api = await apiResourceServed(ctx.client, 'settings.k8s.io', 'v1alpha1', PODPRESET_PLURAL, t);
    if (!api.served) return { state: 'Missing', reason: 'APINotServed', message: api.message };
    const mwc = await ctx.client.getOptional(`/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${MWC_NAME}`, { timeoutMs: t });
    if (!mwc) return { state: 'Missing', reason: 'WebhookNotConfigured', message: `${api.message}, but MutatingWebhookConfiguration ${MWC_NAME} is absent: presets would not be applied` };
    const ca = await ctx.client.getOptional<Secret>(`/api/v1/namespaces/${NAMESPACE}/secrets/${CA_SECRET}`, { timeoutMs: t });
    const tls = await ctx.client.getOptional<Secret>(`/api/v1/namespaces/${NAMESPACE}/secrets/${TLS_SECRET}`, { timeoutMs: t });
    const caPem = unb64(ca?.data?.['tls.crt']);
    if (!caPem) return { state: 'Missing', reason: 'CertificateMissing', message: `Secret ${NAMESPACE}/${CA_SECRET} with the webhook CA is absent` };
    const problem = servingCertProblem(unb64(tls?.data?.['tls.crt']), caPem, this.endpoint(ctx), this.o.renewBeforeDays * DAY);
    if (problem) return { state: 'Missing', reason: 'CertificateNeedsRenewal', message: problem };
    const answer = await this.dryRunProbe(ctx.client, t);
    if (!answer.ok) return { state: 'Missing', reason: 'WebhookNotAnswering', message: `webhook configured but not answering: ${answer.message}` };
    return { state: 'Supported', reason: 'APIServedAndWebhookAnswering', message: `${api.message}; the webhook answered a dry-run pod admission` };
  }

  /** A dry-run pod the webhook marks: proves the API server reaches the webhook and the webhook works. */
  private async dryRunProbe(client: KubeClient, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
    try {
      const pod = await client.post<KubeObject>('/api/v1/namespaces/default/pods', {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { generateName: 'fedfeat-webhook-probe-', labels: { [PROBE_LABEL]: 'true' } },
        spec: { containers: [{ name: 'probe', image: this.o.probeImage }] },
      }, { query: { dryRun: 'All' }, timeoutMs });
      return pod.metadata.annotations?.[PROBE_ANNOTATION] === 'true'
        ? { ok: true, message: 'answered' }
        : { ok: false, message: 'a dry-run pod was admitted without the webhook marking it (failurePolicy Ignore hides the error; see the API server log)' };
    } catch (e) {
      return { ok: false, message: `dry-run pod creation failed: ${(e as Error).message}` };
    }
  }

  async reconfigure(ctx: MemberContext): Promise<ReconfigureOutcome> {
    const c = ctx.client;
    const ep = this.endpoint(ctx);
    const done: string[] = [];
    // Never take over a PodPreset CRD someone else installed: revert could not give it back.
    const crd = await c.getOptional<KubeObject>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${PODPRESET_CRD_NAME}`);
    const foreignCrd = crd !== undefined && !isFedfeat(crd);
    if (foreignCrd) ctx.event('Normal', 'ExistingAPIKept', `CRD ${PODPRESET_CRD_NAME} exists and is not fedfeat's; fedfeat adds only the webhook and leaves the CRD as it is`);

    const objects = renderInstall({ url: ep.url, image: this.o.image, caBundle: '' });
    const [ns] = objects;
    await c.apply(objectPath(ns!), ns!, FIELD_MANAGER);
    const { ca, renewed } = await this.ensureCertificates(ctx, ep);
    if (renewed) done.push(renewed);
    for (const obj of renderInstall({ url: ep.url, image: this.o.image, caBundle: b64(ca.cert) }).slice(1)) {
      if (foreignCrd && obj.kind === 'CustomResourceDefinition') continue;
      await c.apply(objectPath(obj), obj, FIELD_MANAGER);
      if (obj.kind === 'CustomResourceDefinition') await this.waitEstablished(c);
    }
    done.push(`applied namespace ${NAMESPACE}, ${foreignCrd ? '' : 'CRD, '}webhook Deployment, Service and RBAC, MutatingWebhookConfiguration ${MWC_NAME} (${ep.url ? `URL ${ep.url}` : `Service ${NAMESPACE}/${WEBHOOK_NAME}`})`);
    return { changed: true, message: done.join('; ') };
  }

  /** CA created once; serving certificate (re)issued when absent, expiring, or not matching the endpoint. */
  async ensureCertificates(ctx: MemberContext, ep = this.endpoint(ctx), force = false): Promise<{ ca: Pem; renewed?: string }> {
    const c = ctx.client;
    const caSecret = await c.getOptional<Secret>(`/api/v1/namespaces/${NAMESPACE}/secrets/${CA_SECRET}`);
    let ca: Pem | undefined = caSecret?.data ? { cert: unb64(caSecret.data['tls.crt'])!, key: unb64(caSecret.data['tls.key'])! } : undefined;
    if (!ca?.cert || !ca.key) {
      ca = await createWebhookCA();
      await c.apply(`/api/v1/namespaces/${NAMESPACE}/secrets/${CA_SECRET}`, this.secret(CA_SECRET, ca), FIELD_MANAGER);
    }
    const tls = await c.getOptional<Secret>(`/api/v1/namespaces/${NAMESPACE}/secrets/${TLS_SECRET}`);
    const problem = force ? 'renewal requested' : servingCertProblem(unb64(tls?.data?.['tls.crt']), ca.cert, ep, this.o.renewBeforeDays * DAY);
    if (!problem) return { ca };
    const serving = await issueServingCert(ca, ep.dnsNames, ep.ipAddresses, this.o.certValidityDays);
    await c.apply(`/api/v1/namespaces/${NAMESPACE}/secrets/${TLS_SECRET}`, this.secret(TLS_SECRET, serving, ca.cert), FIELD_MANAGER);
    const message = `serving certificate issued (${problem}), valid ${this.o.certValidityDays} days`;
    ctx.event('Normal', 'CertificateIssued', message);
    return { ca, renewed: message };
  }

  private secret(name: string, pem: Pem, caCert?: string): KubeObject {
    return {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
      metadata: { name, namespace: NAMESPACE, labels: { ...MANAGED_BY } },
      data: { 'tls.crt': b64(pem.cert), 'tls.key': b64(pem.key), ...(caCert ? { 'ca.crt': b64(caCert) } : {}) },
    } as KubeObject;
  }

  private async waitEstablished(c: KubeClient): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const crd = await c.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${PODPRESET_CRD_NAME}`);
      if (crd.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) return;
      await sleep(250);
    }
    throw new Error(`CRD ${PODPRESET_CRD_NAME} not Established after 30s`);
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult> {
    return probeUntilSupported(this, ctx, feature, timeoutMs, 1000);
  }

  async revert(ctx: MemberContext): Promise<ReconfigureOutcome> {
    const c = ctx.client;
    const removed: string[] = [];
    const presets = await c.list(`/apis/${PODPRESET_API_VERSION}/${PODPRESET_PLURAL}`).catch(() => ({ items: [] as KubeObject[] }));
    const objects = [
      ...renderInstall({ caBundle: '' }),
      this.secret(CA_SECRET, { cert: '', key: '' }), this.secret(TLS_SECRET, { cert: '', key: '' }),
    ];
    // Webhook configuration first (no call to a webhook that is going away), namespace last.
    const finalizing: string[] = [];
    const order = ['MutatingWebhookConfiguration', 'Service', 'PodDisruptionBudget', 'Deployment', 'ClusterRoleBinding', 'ClusterRole', 'ServiceAccount', 'Secret', 'CustomResourceDefinition', 'Namespace'];
    for (const kind of order) {
      for (const obj of objects.filter((o) => o.kind === kind)) {
        const path = objectPath(obj);
        const live = await c.getOptional<KubeObject>(path);
        if (!live) continue;
        if (!isFedfeat(live)) {
          ctx.event('Normal', 'RevertSkipped', `${kind} ${obj.metadata.name} is not fedfeat's; left in place`);
          continue;
        }
        if (kind === 'CustomResourceDefinition' && presets.items.length) {
          ctx.event('Warning', 'PodPresetsDeleted', `removing the PodPreset API deletes its ${presets.items.length} PodPresets: ${presets.items.slice(0, 10).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`);
        }
        try {
          await c.delete(path, { query: { propagationPolicy: KubeClient.propagationFor(kind) } });
          removed.push(`${kind} ${obj.metadata.name}`);
          // The namespace and the CRD finalize their contents before they disappear: wait for those two.
          if (kind === 'Namespace' || kind === 'CustomResourceDefinition') finalizing.push(path);
        } catch (e) {
          if (!(e instanceof KubeApiError && e.statusCode === 404)) throw e;
        }
      }
    }
    await c.waitGone(finalizing, 120_000);
    return { changed: removed.length > 0, message: removed.length ? `removed ${removed.join(', ')}` : 'nothing of fedfeat on the member' };
  }

}
