// The API-server tactic: the PodPreset API (settings.k8s.io/v1alpha1) brought
// back on a member as a CRD plus a mutating admission webhook, without
// touching the member's control plane. Every object it creates carries
// app.kubernetes.io/managed-by=fedfeat, and revert deletes only those.
import type { DesiredFeature } from '../../api/featureconfig.js';
import { KubeApiError, KubeClient, type KubeObject } from '../../kube-client/client.js';
import { waitFor } from '../../kube-client/wait.js';
import { decide } from '../decision.js';
import { probeUntilSupported } from '../run.js';
import type { MemberContext, ProbeResult, Reconfigurator, ReconfigureOutcome } from '../types.js';
import { createWebhookCA, issueServingCert, servingCertProblem, type Pem } from './certs.js';
import { PODPRESET_API_VERSION, PODPRESET_CRD_NAME, PODPRESET_PLURAL } from './podpreset-api.js';
import { completeGather, gather, PODPRESET_RULES, secretPem, type Endpoint, type PodPresetObserved, type Secret } from './probe.js';
import { heldByJoin, PROBE_NAMESPACE } from '../rbac.js';
import { CA_SECRET, MANAGED_BY, MWC_NAME, NAMESPACE, renderInstall, renderNamespace, renderProbeNamespace, TLS_SECRET, WEBHOOK_NAME } from './render.js';

/** KubeFedCluster annotation: the URL the member's API server calls the webhook at, instead of its Service. */
export const WEBHOOK_URL_ANNOTATION = 'fedfeat.io/podpreset-webhook-url';
export const FIELD_MANAGER = 'fedfeat-podpreset';
const DAY = 86_400_000;

export interface PodPresetOptions {
  image?: string;
  certValidityDays: number;
  /** Renew the serving certificate when it has less than this left. */
  renewBeforeDays: number;
  /** Image of the dry-run probe pod (never started: dry run). */
  probeImage: string;
}

export const DEFAULT_PODPRESET_OPTIONS: PodPresetOptions = { certValidityDays: 365, renewBeforeDays: 30, probeImage: 'registry.k8s.io/pause:3.10' };

/** Revert order: the webhook configuration first (no call to a webhook that is going away), the namespace last. */
const REVERT_ORDER = ['MutatingWebhookConfiguration', 'Service', 'PodDisruptionBudget', 'Deployment', 'ClusterRoleBinding', 'ClusterRole', 'ServiceAccount', 'Secret', 'CustomResourceDefinition', 'Namespace'];

const b64 = (s: string) => Buffer.from(s).toString('base64');
const isFedfeat = (o: KubeObject | undefined) => o?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'fedfeat';

/** Where the member's API server reaches the webhook: its Service, or the URL a KubeFedCluster annotation names (pure). */
export function webhookEndpoint(annotations: Record<string, string>): Endpoint {
  const url = annotations[WEBHOOK_URL_ANNOTATION];
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

function tlsSecret(name: string, pem: Pem, caCert?: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
    metadata: { name, namespace: NAMESPACE, labels: { ...MANAGED_BY } },
    data: { 'tls.crt': b64(pem.cert), 'tls.key': b64(pem.key), ...(caCert ? { 'ca.crt': b64(caCert) } : {}) },
  } as KubeObject;
}

export class PodPresetReconfigurator implements Reconfigurator<PodPresetObserved> {
  readonly name = 'podpreset-replica';
  readonly features = ['podpreset'] as const;

  constructor(private readonly o: PodPresetOptions = DEFAULT_PODPRESET_OPTIONS) {}

  async probe(ctx: MemberContext): Promise<ProbeResult<PodPresetObserved>> {
    const observed = await gather(ctx.client, {
      endpoint: webhookEndpoint(ctx.annotations), probeImage: this.o.probeImage, timeoutMs: ctx.options.requestTimeoutMs,
      now: ctx.now(), renewBeforeMs: this.o.renewBeforeDays * DAY,
    });
    return { ...decide(observed, PODPRESET_RULES), observed };
  }

  async reconfigure(ctx: MemberContext, _feature: DesiredFeature, probe: ProbeResult<PodPresetObserved>): Promise<ReconfigureOutcome> {
    const c = ctx.client;
    const seen = await completeGather(c, probe.observed, { probeImage: this.o.probeImage, timeoutMs: ctx.options.requestTimeoutMs });
    const ep = seen.endpoint;
    const done: string[] = [];
    // Never take over a PodPreset CRD someone else installed: revert could not give it back.
    const foreignCrd = seen.crd !== undefined && !isFedfeat(seen.crd);
    if (foreignCrd) ctx.event('Normal', 'ExistingAPIKept', `CRD ${PODPRESET_CRD_NAME} exists and is not fedfeat's; fedfeat adds only the webhook and leaves the CRD as it is`);

    // Where the certificate Secrets could not be read, fedfeat cannot renew them: the refusal is the answer.
    if (seen.secretsForbidden) throw seen.secretsForbidden;
    await c.applyObject(renderNamespace(), FIELD_MANAGER); // the certificate Secrets live in it
    // The probe's dry-run pods go to fedfeat's probe namespace; `fedfeat join` creates it, a member registered otherwise gets it here.
    if (!(await c.getOptional(`/api/v1/namespaces/${PROBE_NAMESPACE}`))) await c.applyObject(renderProbeNamespace(), FIELD_MANAGER);
    const { ca, renewed } = await this.ensureCertificates(ctx, seen);
    if (renewed) done.push(renewed);
    for (const obj of renderInstall({ url: ep.url, image: this.o.image, caBundle: b64(ca.cert) })) {
      if (obj.kind === 'Namespace' || (foreignCrd && obj.kind === 'CustomResourceDefinition')) continue;
      await c.applyObject(obj, FIELD_MANAGER);
      if (obj.kind === 'CustomResourceDefinition') await this.waitEstablished(c);
    }
    done.push(`applied namespace ${NAMESPACE}, ${foreignCrd ? '' : 'CRD, '}webhook Deployment, Service and RBAC, MutatingWebhookConfiguration ${MWC_NAME} (${ep.url ? `URL ${ep.url}` : `Service ${NAMESPACE}/${WEBHOOK_NAME}`})`);
    return { changed: true, message: done.join('; ') };
  }

  /**
   * CA created once; serving certificate (re)issued when absent, expiring, or not matching the endpoint.
   * Works from the Secrets the probe read; `force` renews regardless (tests, operators).
   */
  async ensureCertificates(ctx: MemberContext, seen: PodPresetObserved, force = false): Promise<{ ca: Pem; renewed?: string }> {
    const c = ctx.client;
    const caCert = secretPem(seen.caSecret);
    const caKey = secretPem(seen.caSecret, 'tls.key');
    let ca: Pem;
    let tls: Secret | undefined = seen.tlsSecret;
    if (caCert && caKey) ca = { cert: caCert, key: caKey };
    else {
      ca = await this.createCA(c);
      tls = undefined; // signed by a CA that is gone
    }
    const problem = force ? 'renewal requested' : servingCertProblem(secretPem(tls), ca.cert, seen.endpoint, seen.renewBeforeMs, seen.now.getTime());
    if (!problem) return { ca };
    const serving = await issueServingCert(ca, seen.endpoint.dnsNames, seen.endpoint.ipAddresses, this.o.certValidityDays);
    await c.applyObject(tlsSecret(TLS_SECRET, serving, ca.cert), FIELD_MANAGER);
    const message = `serving certificate issued (${problem}), valid ${this.o.certValidityDays} days`;
    ctx.event('Normal', 'CertificateIssued', message);
    return { ca, renewed: message };
  }

  /**
   * Creates the CA Secret, create-only: another reconcile (a second FeatureConfig enforcing podpreset on this
   * member) may have created one since the probe; then that one is used, so both serve one CA.
   */
  private async createCA(c: KubeClient): Promise<Pem> {
    const fresh = await createWebhookCA();
    const secret = tlsSecret(CA_SECRET, fresh);
    try {
      await c.post(`/api/v1/namespaces/${NAMESPACE}/secrets`, secret, { query: { fieldManager: FIELD_MANAGER } });
      return fresh;
    } catch (e) {
      if (!(e instanceof KubeApiError && e.statusCode === 409)) throw e;
      const existing = await c.get<Secret>(await c.pathOf(secret));
      const cert = secretPem(existing);
      const key = secretPem(existing, 'tls.key');
      if (!cert || !key) throw new Error(`Secret ${NAMESPACE}/${CA_SECRET} exists without a CA certificate and key: delete it and fedfeat creates a new CA`);
      return { cert, key };
    }
  }

  private async waitEstablished(c: KubeClient): Promise<void> {
    await waitFor(`CRD ${PODPRESET_CRD_NAME} Established`, async () => {
      const crd = await c.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${PODPRESET_CRD_NAME}`);
      return crd.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True');
    }, { timeoutMs: 30_000 });
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult<PodPresetObserved>> {
    return probeUntilSupported(this, ctx, feature, timeoutMs, 1000);
  }

  async revert(ctx: MemberContext): Promise<ReconfigureOutcome> {
    const c = ctx.client;
    const removed: string[] = [];
    const presets = await c.list(`/apis/${PODPRESET_API_VERSION}/${PODPRESET_PLURAL}`).catch(() => ({ items: [] as KubeObject[] }));
    const objects = [...renderInstall({ caBundle: '' }), tlsSecret(CA_SECRET, { cert: '', key: '' }), tlsSecret(TLS_SECRET, { cert: '', key: '' }), renderProbeNamespace()];
    const finalizing: string[] = [];
    for (const kind of REVERT_ORDER) {
      for (const obj of objects.filter((o) => o.kind === kind)) {
        const path = await c.pathOf(obj);
        const live = await c.getOptional<KubeObject>(path);
        if (!live) continue;
        if (!isFedfeat(live)) {
          if (!heldByJoin(live)) ctx.event('Normal', 'RevertSkipped', `${kind} ${obj.metadata.name} is not fedfeat's; left in place`);
          continue;
        }
        // A namespace `fedfeat join` holds keeps join's Role for this tactic: its content went above, it stays,
        // without the tactic's labels (applying it empty drops what this field manager set).
        if (kind === 'Namespace' && heldByJoin(live)) {
          await c.apply(path, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: obj.metadata.name } }, FIELD_MANAGER);
          removed.push(`fedfeat's labels from namespace ${obj.metadata.name} (kept: fedfeat join holds it)`);
          continue;
        }
        if (kind === 'CustomResourceDefinition' && presets.items.length) {
          ctx.event('Warning', 'PodPresetsDeleted', `removing the PodPreset API deletes its ${presets.items.length} PodPresets: ${presets.items.slice(0, 10).map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}`);
        }
        if (await c.delete(path, { query: { propagationPolicy: KubeClient.propagationFor(kind) } })) {
          removed.push(`${kind} ${obj.metadata.name}`);
          // The namespace, the CRD and a foreground-deleted Deployment finalize their contents (presets, pods)
          // before they disappear: revert returns once they are gone, not while the webhook still runs (a
          // namespace fedfeat join holds is kept, so its Deployment is not waited for through it).
          if (kind === 'Namespace' || kind === 'CustomResourceDefinition' || KubeClient.propagationFor(kind) === 'Foreground') finalizing.push(path);
        }
      }
    }
    await c.waitGone(finalizing, 120_000);
    return { changed: removed.length > 0, message: removed.length ? `removed ${removed.join(', ')}` : 'nothing of fedfeat on the member' };
  }
}
