// The PodPreset mutating admission webhook: HTTPS, AdmissionReview v1, JSON
// Patch. Presets come from an informer cache (never a request per admission);
// the serving certificate is reloaded when it is renewed, without dropping
// connections (new handshakes use the new certificate).
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PODPRESET_API_VERSION, PODPRESET_PLURAL, type Pod, type PodPreset } from '../../reconfigurators/podpreset/podpreset-api.js';
import { Informer } from '../../controller/informer.js';
import type { Logger } from '../../controller/logger.js';
import { Metrics } from '../../controller/metrics.js';
import type { KubeClient } from '../../kube-client/client.js';
import { PROBE_ANNOTATION, PROBE_LABEL, WEBHOOK_PATH } from '../../reconfigurators/podpreset/render.js';
import { applyPresets, probePatch, type InvalidPreset, type JsonPatchOp } from './merge.js';
import type { TlsMaterial, TlsSource } from './tls-source.js';
import { sleep } from '../../kube-client/wait.js';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: string;
  subResource?: string;
  namespace?: string;
  dryRun?: boolean;
  object?: Pod;
}

export interface AdmissionResponse {
  uid: string;
  allowed: true;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export interface WebhookOptions {
  host: string;
  port: number;
  tls: TlsSource;
  tlsReloadMs?: number;
}

export class PodPresetWebhook {
  readonly presets: Informer<PodPreset>;
  readonly metrics = new Metrics();
  private server?: https.Server;
  private tlsVersion?: string;
  private reloadTimer?: NodeJS.Timeout;
  /** uid@resourceVersion of invalid presets already reported. */
  private readonly reportedInvalid = new Set<string>();

  constructor(private readonly client: KubeClient, private readonly log: Logger, private readonly opts: WebhookOptions) {
    this.presets = new Informer<PodPreset>(client, `/apis/${PODPRESET_API_VERSION}/${PODPRESET_PLURAL}`, log.child({ informer: 'podpresets' }), { maxBackoffMs: 5000 });
  }

  /** Decides one admission (pure apart from reporting conflicts and invalid presets). */
  review(req: AdmissionRequest): AdmissionResponse {
    const allow: AdmissionResponse = { uid: req.uid, allowed: true };
    if (req.kind.kind !== 'Pod' || req.operation !== 'CREATE' || req.subResource || !req.object) return allow;
    // The patch is computed against the object exactly as received; the namespace comes from the request when the
    // pod's own metadata leaves it out (pods created by controllers often do).
    const pod = req.object;
    const namespace = pod.metadata.namespace || req.namespace || '';
    // End-to-end health check from fedfeat: a dry-run pod carrying the probe label comes back marked.
    if (req.dryRun && pod.metadata.labels?.[PROBE_LABEL] === 'true') return this.patched(allow, probePatch(pod, PROBE_ANNOTATION));
    if (!this.presets.hasSynced()) {
      this.metrics.inc('podpreset_webhook_admissions_total', { result: 'not-synced' });
      return { ...allow, warnings: ['PodPreset cache not synced yet: presets not applied'] };
    }
    // Only this namespace's presets: admission cost does not grow with the presets of other namespaces.
    const out = applyPresets(pod, this.presets.listNamespace(namespace), namespace);
    this.metrics.inc('podpreset_webhook_admissions_total', { result: out.kind });
    const who = { namespace, pod: pod.metadata.name ?? pod.metadata.generateName };
    const warnings: string[] = [];
    if ('invalid' in out && out.invalid.length) {
      if (!req.dryRun) this.reportInvalid(out.invalid);
      for (const i of out.invalid) warnings.push(`PodPreset ${i.preset.metadata.name} skipped: ${i.problems.join('; ')}`.slice(0, 500));
    }
    const withWarnings = (r: AdmissionResponse): AdmissionResponse => (warnings.length ? { ...r, warnings: [...(r.warnings ?? []), ...warnings] } : r);
    if (out.kind === 'conflict') {
      this.log.warn('PodPreset conflict: pod admitted unmodified', { ...who, presets: out.presets, conflicts: out.conflicts });
      if (!req.dryRun) this.reportConflict(pod, namespace, out.presets, out.conflicts);
      return withWarnings({ ...allow, warnings: [`PodPreset conflict, presets not applied: ${out.conflicts.join('; ')}`.slice(0, 500)] });
    }
    if (out.kind !== 'applied' || !out.patch.length) return withWarnings(allow);
    // debug: at hundreds of pods per second an info line per admission costs more than the admission.
    if (this.log.isDebugEnabled()) this.log.debug('PodPresets applied', { ...who, presets: out.presets });
    return withWarnings(this.patched(allow, out.patch));
  }

  private patched(r: AdmissionResponse, patch: JsonPatchOp[]): AdmissionResponse {
    return { ...r, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
  }

  private event(namespace: string, preset: { name: string; uid?: string }, reason: string, message: string): void {
    const now = new Date().toISOString();
    void this.client.post(`/api/v1/namespaces/${namespace}/events`, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { generateName: `${preset.name}.`, namespace },
      involvedObject: { apiVersion: PODPRESET_API_VERSION, kind: 'PodPreset', name: preset.name, namespace, uid: preset.uid },
      type: 'Warning', reason, message: message.slice(0, 1024),
      source: { component: 'fedfeat-podpreset-webhook' }, firstTimestamp: now, lastTimestamp: now, count: 1,
    }).catch((e: Error) => this.log.warn(`could not record ${reason} event`, { error: e.message }));
  }

  private reportConflict(pod: Pod, namespace: string, presets: string[], conflicts: string[]): void {
    for (const name of presets) {
      const p = this.presets.get(`${namespace}/${name}`);
      if (!p) continue;
      this.event(namespace, { name, uid: p.metadata.uid }, 'PodPresetConflict',
        `pod ${pod.metadata.name ?? pod.metadata.generateName ?? ''} admitted without presets ${presets.join(', ')}: ${conflicts.join('; ')}`);
    }
  }

  /**
   * Reports each invalid preset once per version (an Event per pod creation would flood the namespace); it is reported
   * again when it is changed, and the pod creator sees an admission warning every time.
   */
  private reportInvalid(invalid: InvalidPreset[]): void {
    for (const { preset, problems } of invalid) {
      const id = `${preset.metadata.uid ?? `${preset.metadata.namespace}/${preset.metadata.name}`}@${preset.metadata.resourceVersion ?? ''}`;
      if (this.reportedInvalid.has(id)) continue;
      if (this.reportedInvalid.size > 10_000) this.reportedInvalid.clear(); // bounded; at worst some are reported twice
      this.reportedInvalid.add(id);
      const message = `PodPreset skipped, not applied to any pod until fixed: ${problems.join('; ')}`;
      this.log.warn('invalid PodPreset skipped', { namespace: preset.metadata.namespace, preset: preset.metadata.name, problems });
      this.event(preset.metadata.namespace ?? '', { name: preset.metadata.name, uid: preset.metadata.uid }, 'PodPresetInvalid', message);
    }
  }

  async start(): Promise<void> {
    this.presets.start();
    const tls = await this.waitForTls();
    this.server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('secureConnection', () => this.metrics.inc('podpreset_webhook_tls_handshakes_total'));
    await new Promise<void>((r) => this.server!.listen(this.opts.port, this.opts.host, r));
    this.log.info('PodPreset webhook serving', { listen: `${this.opts.host}:${this.opts.port}`, tls: this.opts.tls.describe });
    const reload = async () => {
      try {
        const next = await this.opts.tls.load();
        if (next && next.version !== this.tlsVersion) {
          this.server!.setSecureContext({ cert: next.cert, key: next.key });
          this.tlsVersion = next.version;
          this.metrics.inc('podpreset_webhook_certificate_reloads_total');
          this.log.info('serving certificate reloaded', { tls: this.opts.tls.describe });
        }
      } catch (e) {
        this.log.warn('could not reload serving certificate', { error: (e as Error).message });
      }
      this.reloadTimer = setTimeout(() => void reload(), this.opts.tlsReloadMs ?? 10_000);
    };
    this.reloadTimer = setTimeout(() => void reload(), this.opts.tlsReloadMs ?? 10_000);
  }

  async stop(): Promise<void> {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await this.presets.stop();
  }

  get port(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : this.opts.port;
  }

  private async waitForTls(): Promise<TlsMaterial> {
    for (let logged = false; ; logged = true) {
      const tls = await this.opts.tls.load().catch(() => undefined);
      if (tls) {
        this.tlsVersion = tls.version;
        return tls;
      }
      if (!logged) this.log.info('waiting for the serving certificate', { tls: this.opts.tls.describe });
      await sleep(2000);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (code: number, body: string, type = 'application/json') => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(body);
    };
    const url = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && url === '/healthz') return reply(200, 'ok', 'text/plain');
    if (req.method === 'GET' && url === '/readyz') return this.presets.hasSynced() ? reply(200, 'ok', 'text/plain') : reply(503, 'presets not synced', 'text/plain');
    if (req.method === 'GET' && url === '/metrics') return reply(200, await this.metrics.render(), this.metrics.contentType);
    if (req.method !== 'POST' || url !== WEBHOOK_PATH) return reply(404, '{"error":"not found"}');
    const stop = this.metrics.startTimer('podpreset_webhook_review_seconds', {});
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const t0 = process.hrtime.bigint();
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { apiVersion?: string; request?: AdmissionRequest };
      if (review.apiVersion !== 'admission.k8s.io/v1' || !review.request?.uid) return reply(400, '{"error":"expected an admission.k8s.io/v1 AdmissionReview with a request"}');
      const response = this.review(review.request);
      reply(200, JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
      this.metrics.observe('podpreset_webhook_decide_seconds', {}, Number(process.hrtime.bigint() - t0) / 1e9);
    } catch (e) {
      this.log.warn('bad admission request', { error: (e as Error).message });
      reply(400, JSON.stringify({ error: (e as Error).message }));
    } finally {
      stop();
    }
  }
}
