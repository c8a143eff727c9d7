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
import { applyPresets, type JsonPatchOp } from './merge.js';
import type { TlsMaterial, TlsSource } from './tls-source.js';
import { sleep } from '../../kube-client/wait.js';

interface AdmissionRequest {
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

  constructor(private readonly client: KubeClient, private readonly log: Logger, private readonly opts: WebhookOptions) {
    this.presets = new Informer<PodPreset>(client, `/apis/${PODPRESET_API_VERSION}/${PODPRESET_PLURAL}`, log.child({ informer: 'podpresets' }), { maxBackoffMs: 5000 });
  }

  /** Decides one admission (pure apart from conflict reporting). */
  review(req: AdmissionRequest): AdmissionResponse {
    const allow: AdmissionResponse = { uid: req.uid, allowed: true };
    if (req.kind.kind !== 'Pod' || req.operation !== 'CREATE' || req.subResource || !req.object) return allow;
    const pod: Pod = { ...req.object, metadata: { ...req.object.metadata, namespace: req.object.metadata.namespace ?? req.namespace } };
    // End-to-end health check from fedfeat: a dry-run pod carrying the probe label comes back marked.
    if (req.dryRun && pod.metadata.labels?.[PROBE_LABEL] === 'true') {
      return this.patched(allow, [{ op: 'add', path: '/metadata/annotations', value: { ...(pod.metadata.annotations ?? {}), [PROBE_ANNOTATION]: 'true' } }]);
    }
    if (!this.presets.hasSynced()) {
      this.metrics.inc('podpreset_webhook_admissions_total', { result: 'not-synced' });
      return { ...allow, warnings: ['PodPreset cache not synced yet: presets not applied'] };
    }
    const out = applyPresets(pod, this.presets.list());
    this.metrics.inc('podpreset_webhook_admissions_total', { result: out.kind });
    const who = { namespace: pod.metadata.namespace, pod: pod.metadata.name ?? pod.metadata.generateName };
    if (out.kind === 'conflict') {
      this.log.warn('PodPreset conflict: pod admitted unmodified', { ...who, presets: out.presets, conflicts: out.conflicts });
      if (!req.dryRun) this.reportConflict(pod, out.presets, out.conflicts);
      return { ...allow, warnings: [`PodPreset conflict, presets not applied: ${out.conflicts.join('; ')}`.slice(0, 500)] };
    }
    if (out.kind !== 'applied') return allow;
    // debug: at hundreds of pods per second an info line per admission costs more than the admission.
    if (this.log.isDebugEnabled()) this.log.debug('PodPresets applied', { ...who, presets: out.presets });
    return this.patched(allow, out.patch);
  }

  private patched(r: AdmissionResponse, patch: JsonPatchOp[]): AdmissionResponse {
    return { ...r, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
  }

  private reportConflict(pod: Pod, presets: string[], conflicts: string[]): void {
    const now = new Date().toISOString();
    for (const name of presets) {
      const p = this.presets.get(`${pod.metadata.namespace}/${name}`);
      if (!p) continue;
      void this.client.post(`/api/v1/namespaces/${pod.metadata.namespace}/events`, {
        apiVersion: 'v1', kind: 'Event',
        metadata: { generateName: `${name}.`, namespace: pod.metadata.namespace },
        involvedObject: { apiVersion: PODPRESET_API_VERSION, kind: 'PodPreset', name, namespace: pod.metadata.namespace, uid: p.metadata.uid },
        type: 'Warning', reason: 'PodPresetConflict',
        message: `pod ${pod.metadata.name ?? pod.metadata.generateName ?? ''} admitted without presets ${presets.join(', ')}: ${conflicts.join('; ')}`.slice(0, 1024),
        source: { component: 'fedfeat-podpreset-webhook' }, firstTimestamp: now, lastTimestamp: now, count: 1,
      }).catch((e: Error) => this.log.warn('could not record conflict event', { error: e.message }));
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
