// Is the PodPreset API served and does its webhook work on the member?
// gather() reads everything once (discovery, the webhook configuration, the
// CRD, both certificate Secrets, a dry-run pod); the rules decide (pure).
import { KubeApiError, type KubeClient, type KubeObject } from '../../kube-client/client.js';
import type { Rule } from '../decision.js';
import { PROBE_NAMESPACE } from '../rbac.js';
import { servingCertProblem } from './certs.js';
import { PODPRESET_CRD_NAME, PODPRESET_GROUP, PODPRESET_PLURAL, PODPRESET_VERSION } from './podpreset-api.js';
import { CA_SECRET, MWC_NAME, NAMESPACE, PROBE_ANNOTATION, PROBE_LABEL, TLS_SECRET } from './render.js';

export type Secret = KubeObject & { data?: Record<string, string>; type?: string };

/** Where the member's API server calls the webhook, and the names its certificate must carry. */
export interface Endpoint {
  url?: string;
  dnsNames: string[];
  ipAddresses: string[];
}

export interface PodPresetObserved {
  api: { served: boolean; message: string };
  webhookConfigured: boolean;
  /** False when gather stopped at discovery (API not served): the fields below were not read. */
  complete: boolean;
  crd?: KubeObject;
  caSecret?: Secret;
  tlsSecret?: Secret;
  /** The certificate Secrets could not be read (inform access holds no Secrets: they carry private keys). */
  secretsForbidden?: KubeApiError;
  /** Sent only when every cheaper check passed: a pod create goes through every admission plugin of the member. */
  dryRun?: { ok: boolean; message: string };
  endpoint: Endpoint;
  now: Date;
  renewBeforeMs: number;
}

const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : undefined);
export const secretPem = (s: Secret | undefined, key = 'tls.crt') => unb64(s?.data?.[key]);

export async function apiResourceServed(client: KubeClient, group: string, version: string, resource: string, timeoutMs: number): Promise<{ served: boolean; message: string }> {
  const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
  try {
    const list = await client.get<{ resources?: Array<{ name: string }> }>(path, { timeoutMs });
    const served = list.resources?.some((r) => r.name === resource) ?? false;
    return { served, message: served ? `${group}/${version} ${resource} is served` : `${group}/${version} is served but has no ${resource}` };
  } catch (e) {
    if (e instanceof KubeApiError && e.statusCode === 404) return { served: false, message: `${group}/${version} is not served (discovery ${path}: 404)` };
    throw e;
  }
}

/** A dry-run pod the webhook marks: proves the API server reaches the webhook and the webhook works. */
async function dryRunPod(client: KubeClient, image: string, timeoutMs: number): Promise<{ ok: boolean; message: string }> {
  try {
    // In fedfeat's probe namespace: the only place its inform access may create pods (RBAC cannot tell a dry run).
    const pod = await client.post<KubeObject>(`/api/v1/namespaces/${PROBE_NAMESPACE}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { generateName: 'fedfeat-webhook-probe-', labels: { [PROBE_LABEL]: 'true' } },
      spec: { containers: [{ name: 'probe', image }] },
    }, { query: { dryRun: 'All' }, timeoutMs });
    return pod.metadata.annotations?.[PROBE_ANNOTATION] === 'true'
      ? { ok: true, message: 'answered' }
      : { ok: false, message: 'a dry-run pod was admitted without the webhook marking it (failurePolicy Ignore hides the error; see the API server log)' };
  } catch (e) {
    if (e instanceof KubeApiError && e.statusCode === 403) throw e; // fedfeat's missing permission, not the webhook's fault
    if (e instanceof KubeApiError && e.statusCode === 404) {
      return { ok: false, message: `fedfeat's probe namespace ${PROBE_NAMESPACE} does not exist, so no dry-run pod could be sent (fedfeat join creates it; so does enforcing podpreset)` };
    }
    return { ok: false, message: `dry-run pod creation failed: ${(e as Error).message}` };
  }
}

export interface GatherOptions { endpoint: Endpoint; probeImage: string; timeoutMs: number; now: Date; renewBeforeMs: number }

/**
 * Gather: discovery first. While the API is not served nothing else decides the state, so nothing else is
 * read (one request per member and resync, not five, on a fleet that lacks the feature); reconfigure
 * completes the reads it needs (completeGather). Once served, the rest in parallel (the webhook
 * configuration, the CRD, both certificate Secrets), then, only when the rules on those pass, the dry-run pod.
 */
export async function gather(client: KubeClient, o: GatherOptions): Promise<PodPresetObserved> {
  const api = await apiResourceServed(client, PODPRESET_GROUP, PODPRESET_VERSION, PODPRESET_PLURAL, o.timeoutMs);
  const observed: PodPresetObserved = { api, webhookConfigured: false, complete: false, endpoint: o.endpoint, now: o.now, renewBeforeMs: o.renewBeforeMs };
  return api.served ? completeGather(client, observed, o) : observed;
}

/** The reads gather left out (none when it read everything). */
export async function completeGather(client: KubeClient, observed: PodPresetObserved, o: Pick<GatherOptions, 'probeImage' | 'timeoutMs'>): Promise<PodPresetObserved> {
  if (observed.complete) return observed;
  const t = { timeoutMs: o.timeoutMs };
  let secretsForbidden: KubeApiError | undefined;
  const secret = (name: string) => client.getOptional<Secret>(`/api/v1/namespaces/${NAMESPACE}/secrets/${name}`, t).catch((e: unknown) => {
    if (!(e instanceof KubeApiError && e.statusCode === 403)) throw e;
    secretsForbidden = e;
    return undefined;
  });
  const [mwc, crd, caSecret, tlsSecret] = await Promise.all([
    client.getOptional(`/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${MWC_NAME}`, t),
    client.getOptional(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${PODPRESET_CRD_NAME}`, t),
    secret(CA_SECRET),
    secret(TLS_SECRET),
  ]);
  const full: PodPresetObserved = {
    ...observed, complete: true, webhookConfigured: mwc !== undefined, crd, caSecret, tlsSecret,
    ...(secretsForbidden ? { secretsForbidden } : {}),
  };
  if (CONFIGURATION_RULES.every((rule) => rule(full) === undefined)) full.dryRun = await dryRunPod(client, o.probeImage, o.timeoutMs);
  return full;
}

/** Why the serving certificate must be (re)issued, or undefined (pure). */
export function certificateProblem(o: PodPresetObserved): string | undefined {
  const caPem = secretPem(o.caSecret);
  if (!caPem) return `Secret ${NAMESPACE}/${CA_SECRET} with the webhook CA is absent`;
  return servingCertProblem(secretPem(o.tlsSecret), caPem, o.endpoint, o.renewBeforeMs, o.now.getTime());
}

/** The rules on what is configured, most basic first; the webhook's answer is asked only when they all pass. */
const CONFIGURATION_RULES: ReadonlyArray<Rule<PodPresetObserved>> = [
  (o) => (o.api.served ? undefined : { state: 'Missing', reason: 'APINotServed', message: o.api.message }),
  (o) => (o.webhookConfigured ? undefined : { state: 'Missing', reason: 'WebhookNotConfigured', message: `${o.api.message}, but MutatingWebhookConfiguration ${MWC_NAME} is absent: presets would not be applied` }),
  // Without read access to the Secrets (inform) the certificates are not checked; the dry run shows they work today.
  (o) => (o.secretsForbidden || secretPem(o.caSecret) ? undefined : { state: 'Missing', reason: 'CertificateMissing', message: `Secret ${NAMESPACE}/${CA_SECRET} with the webhook CA is absent` }),
  (o) => {
    if (o.secretsForbidden) return undefined;
    const problem = certificateProblem(o);
    return problem ? { state: 'Missing', reason: 'CertificateNeedsRenewal', message: problem } : undefined;
  },
];

/** The decision chain. */
export const PODPRESET_RULES: ReadonlyArray<Rule<PodPresetObserved>> = [
  ...CONFIGURATION_RULES,
  (o) => (o.dryRun?.ok ? undefined : { state: 'Missing', reason: 'WebhookNotAnswering', message: `webhook configured but not answering: ${o.dryRun?.message ?? 'not asked'}` }),
  (o) => ({
    state: 'Supported', reason: 'APIServedAndWebhookAnswering',
    message: `${o.api.message}; the webhook answered a dry-run pod admission${o.secretsForbidden ? ` (certificate expiry not checked: no read access to Secrets in ${NAMESPACE})` : ''}`,
  }),
];
