// Kubernetes Events on FeatureConfigs, so `kubectl describe featureconfig`
// tells the story. Repeats of the same event are folded into one object with a
// count, and a token bucket per (FeatureConfig, cluster) keeps a flapping
// member from flooding the API server. At fleet scale a second bucket per
// FeatureConfig (as client-go's spam filter keys on the involved object) turns
// thousands of per-member events into a few and one summary a minute naming how
// many were left out (each member's state is in its ClusterFeatureStatus); and
// writes go through a small bounded queue, so Events never crowd out status
// writes on the shared host client.
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
  /** Bucket per FeatureConfig over all its members (default: no such limit). */
  objectBurst?: number;
  objectRefillPerMinute?: number;
  /** Event writes in flight at once (default 4); beyond that they wait, at most maxPending (default 500), then are dropped. */
  maxInFlight?: number;
  maxPending?: number;
}

const SUMMARY_EVERY_MS = 60_000;

export class EventRecorder {
  private readonly buckets = new Map<string, Bucket>();
  private readonly recent = new Map<string, { name: string; count: number; first: string }>();
  readonly stats = { emitted: 0, folded: 0, dropped: 0 };
  /** Events left out by the per-FeatureConfig limit, by FeatureConfig uid and reason, until the next summary. */
  private readonly suppressed = new Map<string, { fc: KubeObject; reason: string; type: EventInput['type']; count: number }>();
  private summaryTimer?: NodeJS.Timeout;
  private inFlight = 0;
  private readonly pending: Array<() => Promise<unknown>> = [];

  constructor(private readonly host: KubeClient, private readonly log: Logger, private readonly opts: EventRecorderOptions) {}

  /** Writes waiting for a slot (for tests and metrics). */
  get queued(): number {
    return this.pending.length;
  }

  stop(): void {
    clearTimeout(this.summaryTimer);
  }

  /** Runs a write now if a slot is free, else queues it; a full queue drops it (counted). */
  private send(write: () => Promise<unknown>): void {
    if (this.inFlight >= (this.opts.maxInFlight ?? 4)) {
      if (this.pending.length >= (this.opts.maxPending ?? 500)) {
        this.stats.dropped++;
        return;
      }
      this.pending.push(write);
      return;
    }
    this.inFlight++;
    void write().finally(() => {
      this.inFlight--;
      const next = this.pending.shift();
      if (next) this.send(next);
    });
  }

  /** The per-FeatureConfig limit; events over it are counted for the next summary. */
  private allowForObject(fc: KubeObject, e: EventInput): boolean {
    if (this.opts.objectBurst === undefined) return true;
    if (this.take(`object|${fc.metadata.uid}`, this.opts.objectBurst, this.opts.objectRefillPerMinute ?? 0, Date.now())) return true;
    const key = `${fc.metadata.uid}|${e.reason}`;
    const s = this.suppressed.get(key) ?? { fc, reason: e.reason, type: e.type, count: 0 };
    s.count++;
    s.fc = fc;
    this.suppressed.set(key, s);
    this.summaryTimer ??= setTimeout(() => this.summarize(), SUMMARY_EVERY_MS);
    this.summaryTimer.unref?.();
    return false;
  }

  /** One Event per (FeatureConfig, reason) saying how many were left out since the last one. */
  private summarize(): void {
    this.summaryTimer = undefined;
    const batch = [...this.suppressed.values()];
    this.suppressed.clear();
    for (const s of batch) {
      const fcName = s.fc.metadata.name;
      this.post(s.fc, s.type, s.reason,
        `${s.count} more ${s.reason} event(s) on other members not recorded one by one (rate limit for this FeatureConfig); ` +
        `every member's state: kubectl get clusterfeaturestatuses -A -l feature.kubefed.io/featureconfig=${fcName}`);
    }
  }

  /** Token bucket (pure apart from the clock): may one more event go out for this key? */
  allow(key: string, now = Date.now()): boolean {
    return this.take(key, this.opts.burst, this.opts.refillPerMinute, now);
  }

  private take(key: string, burst: number, refillPerMinute: number, now: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: burst, updated: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.updated) / 60_000) * refillPerMinute);
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
      const count = prior.count;
      this.send(() => this.host.mergePatch(`/api/v1/namespaces/${fc.metadata.namespace ?? this.opts.namespace}/events/${prior.name}`, { count, lastTimestamp: now })
        .catch(() => this.recent.delete(foldKey)));
      return;
    }
    if (!this.allow(`${fc.metadata.uid}|${e.cluster ?? ''}`) || !this.allowForObject(fc, e)) {
      this.stats.dropped++;
      return;
    }
    const name = this.post(fc, e.type, e.reason, message);
    if (this.recent.size > 5000) this.recent.clear();
    this.recent.set(foldKey, { name, count: 1, first: now });
  }

  /** A new Event object on the FeatureConfig; returns its name. */
  private post(fc: KubeObject, type: EventInput['type'], reason: string, message: string): string {
    const now = new Date().toISOString();
    const name = `${fc.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
    this.stats.emitted++;
    // A namespaced object's Events live in its namespace; a cluster-scoped one's in the configured namespace.
    const namespace = fc.metadata.namespace ?? this.opts.namespace;
    this.send(() => this.host.post(`/api/v1/namespaces/${namespace}/events`, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: fc.apiVersion, kind: fc.kind, name: fc.metadata.name, uid: fc.metadata.uid, resourceVersion: fc.metadata.resourceVersion,
        ...(fc.metadata.namespace ? { namespace: fc.metadata.namespace } : {}),
      },
      type, reason, message: message.slice(0, 1024),
      source: { component: this.opts.component },
      reportingComponent: this.opts.component, reportingInstance: process.env.HOSTNAME ?? 'local',
      firstTimestamp: now, lastTimestamp: now, count: 1,
    }).catch((err: Error) => this.log.warn('could not record event', { reason, error: err.message })));
    return name;
  }
}
