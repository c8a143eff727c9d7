// Kubernetes Events on FeatureConfigs, so `kubectl describe featureconfig`
// tells the story. Repeats of the same event are folded into one object with a
// count, and a token bucket per (FeatureConfig, cluster) keeps a flapping
// member from flooding the API server.
import type { KubeClient, KubeObject } from '../kube-client/client.js';
import type { Logger } from './logger.js';

export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  cluster?: string;
  feature?: string;
  node?: string;
}

interface Bucket {
  tokens: number;
  updated: number;
}

export interface EventRecorderOptions {
  namespace: string;
  component: string;
  burst: number;
  refillPerMinute: number;
}

export class EventRecorder {
  private readonly buckets = new Map<string, Bucket>();
  private readonly recent = new Map<string, { name: string; count: number; first: string }>();
  readonly stats = { emitted: 0, folded: 0, dropped: 0 };

  constructor(private readonly host: KubeClient, private readonly log: Logger, private readonly opts: EventRecorderOptions) {}

  /** Token bucket (pure apart from the clock): may one more event go out for this key? */
  allow(key: string, now = Date.now()): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.opts.burst, updated: now };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.updated) / 60_000) * this.opts.refillPerMinute);
    b.updated = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  record(fc: KubeObject, e: EventInput): void {
    const subject = [e.cluster && `cluster=${e.cluster}`, e.feature && `feature=${e.feature}`, e.node && `node=${e.node}`].filter(Boolean).join(' ');
    const message = subject ? `[${subject}] ${e.message}` : e.message;
    this.log.log(e.type === 'Warning' ? 'warn' : 'info', e.message, { event: e.reason, featureconfig: fc.metadata.name, cluster: e.cluster, feature: e.feature, node: e.node });
    const foldKey = `${fc.metadata.uid}|${e.reason}|${message}`;
    const now = new Date().toISOString();
    const prior = this.recent.get(foldKey);
    if (prior) {
      prior.count++;
      this.stats.folded++;
      void this.host.mergePatch(`/api/v1/namespaces/${this.opts.namespace}/events/${prior.name}`, { count: prior.count, lastTimestamp: now })
        .catch(() => this.recent.delete(foldKey));
      return;
    }
    if (!this.allow(`${fc.metadata.uid}|${e.cluster ?? ''}`)) {
      this.stats.dropped++;
      return;
    }
    const name = `${fc.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    if (this.recent.size > 5000) this.recent.clear();
    this.recent.set(foldKey, { name, count: 1, first: now });
    this.stats.emitted++;
    void this.host.post(`/api/v1/namespaces/${this.opts.namespace}/events`, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace: this.opts.namespace },
      involvedObject: { apiVersion: fc.apiVersion, kind: fc.kind, name: fc.metadata.name, uid: fc.metadata.uid, resourceVersion: fc.metadata.resourceVersion },
      type: e.type, reason: e.reason, message: message.slice(0, 1024),
      source: { component: this.opts.component },
      reportingComponent: this.opts.component, reportingInstance: process.env.HOSTNAME ?? 'local',
      firstTimestamp: now, lastTimestamp: now, count: 1,
    }).catch((err: Error) => this.log.warn('could not record event', { reason: e.reason, error: err.message }));
  }
}
