// Prometheus metrics of the controller and the PodPreset webhook, kept and
// rendered by prom-client. Each Metrics has its own Registry (never the global
// one), so a test or a second component in one process starts from zero.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

type Kind = 'counter' | 'gauge' | 'histogram';

/** Every family fedfeat exports: type, help text and label names. */
const FAMILIES = {
  fedfeat_reconcile_duration_seconds: { type: 'histogram', help: 'Duration of one work item (member reconcile, status write, finalize).', labelNames: ['kind'] },
  fedfeat_reconcile_errors_total: { type: 'counter', help: 'Work items that failed and were retried with backoff.', labelNames: ['kind'] },
  fedfeat_workqueue_depth: { type: 'gauge', help: 'Keys waiting in the work queue.', labelNames: [] },
  fedfeat_placement_decision_seconds: { type: 'histogram', help: 'Time to decide one FeaturePlacement from the caches (filter, capacity, plan), without I/O.', labelNames: [] },
  fedfeat_placement_member_caches: { type: 'gauge', help: 'Members whose nodes, pods and placed Deployments are cached for placement.', labelNames: [] },
  fedfeat_placement_unschedulable_replicas: { type: 'gauge', help: 'Replicas of a FeaturePlacement no member could take.', labelNames: ['namespace', 'placement'] },
  fedfeat_feature_state: { type: 'gauge', help: '1 for the current state of each feature on each member.', labelNames: ['cluster', 'feature', 'featureconfig', 'state'] },
  fedfeat_member_ready: { type: 'gauge', help: '1 when the member API server is healthy.', labelNames: ['cluster'] },
  fedfeat_member_api_requests_total: { type: 'counter', help: 'Requests sent to each member API server.', labelNames: ['cluster'] },
  fedfeat_leader: { type: 'gauge', help: '1 while this replica holds the leader lease.', labelNames: [] },
  fedfeat_leader_lease_renew_age_seconds: { type: 'gauge', help: 'Seconds since this replica last renewed the leader lease (only while leading).', labelNames: [] },
  fedfeat_event_loop_lag_seconds: { type: 'gauge', help: 'Longest main event loop delay since the previous scrape.', labelNames: [] },
  fedfeat_members: { type: 'gauge', help: 'Registered members (KubeFedClusters).', labelNames: [] },
  fedfeat_member_health_probes_total: { type: 'counter', help: 'Member /healthz probes sent.', labelNames: [] },
  fedfeat_member_health_probes_skipped_total: { type: 'counter', help: 'Probe turns skipped because the member\'s previous probe was still pending.', labelNames: [] },
  fedfeat_member_health_probes_in_flight: { type: 'gauge', help: 'Member /healthz probes waiting for an answer.', labelNames: [] },
  fedfeat_member_health_status_writes_total: { type: 'counter', help: 'KubeFedCluster status writes (written) and probes whose status needed none (skipped).', labelNames: ['outcome'] },
  fedfeat_cluster_feature_status_writes_total: { type: 'counter', help: 'ClusterFeatureStatus writes by outcome (applied, deleted, skipped unchanged, failed).', labelNames: ['outcome'] },
  fedfeat_events_total: { type: 'counter', help: 'Events by outcome (emitted, folded into an existing one, dropped by a rate limit or a full queue).', labelNames: ['outcome'] },
  podpreset_webhook_admissions_total: { type: 'counter', help: 'Pod admissions by outcome (applied, no-match, excluded, conflict, not-synced).', labelNames: ['result'] },
  podpreset_webhook_review_seconds: { type: 'histogram', help: 'Time to answer one AdmissionReview.', labelNames: [] },
  podpreset_webhook_tls_handshakes_total: { type: 'counter', help: 'TLS connections accepted (the API server should reuse them).', labelNames: [] },
  podpreset_webhook_decide_seconds: { type: 'histogram', help: 'Time from a received AdmissionReview to the answer written (parse, merge, serialize).', labelNames: [] },
  podpreset_webhook_certificate_reloads_total: { type: 'counter', help: 'Serving certificate renewals picked up without a restart.', labelNames: [] },
} as const satisfies Record<string, { type: Kind; help: string; labelNames: readonly string[] }>;

type Families = typeof FAMILIES;
export type MetricName = keyof Families;
type NameOf<K extends Kind> = { [N in MetricName]: Families[N]['type'] extends K ? N : never }[MetricName];
/** Label names are checked at compile time; like prom-client, a label left out is not an error. */
export type LabelsOf<N extends MetricName> = Partial<Record<Families[N]['labelNames'][number], string>>;
type Family = Counter | Gauge | Histogram;

export class Metrics {
  readonly registry = new Registry();
  private readonly families = new Map<MetricName, Family>();
  private readonly collectors: Array<() => void> = [];
  /** The state last exported per (featureconfig, cluster, feature), to drop its series when it changes. */
  private readonly featureStates = new Map<string, string>();

  /** Adds prom-client's process and Node.js series (resident memory, CPU, heap, handles) for a long-running process. */
  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry });
    return this;
  }

  /** The Content-Type of render()'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  inc<N extends NameOf<'counter'>>(name: N, labels: LabelsOf<N> = {}, by = 1): void {
    (this.family(name) as Counter).inc(ordered(labels), by);
  }

  /** Sets a gauge, or a counter whose total is kept elsewhere (per-member request counts) and mirrored at scrape time. */
  set<N extends NameOf<'gauge' | 'counter'>>(name: N, labels: LabelsOf<N>, value: number): void {
    const m = this.family(name);
    if (m instanceof Gauge) return m.set(ordered(labels), value);
    // prom-client counters only go up; the source's total is authoritative, so replace the series.
    (m as Counter).remove(ordered(labels));
    (m as Counter).inc(ordered(labels), value);
  }

  /** One series per (featureconfig, cluster, feature) with the state as a label; the old state's series is dropped. */
  setFeatureState(featureconfig: string, cluster: string, feature: string, state: string): void {
    const gauge = this.family('fedfeat_feature_state') as Gauge;
    const key = JSON.stringify([featureconfig, cluster, feature]);
    const previous = this.featureStates.get(key);
    if (previous !== undefined && previous !== state) gauge.remove({ cluster, feature, featureconfig, state: previous });
    gauge.set({ cluster, feature, featureconfig, state }, 1);
    this.featureStates.set(key, state);
  }

  startTimer<N extends NameOf<'histogram'>>(name: N, labels: LabelsOf<N>): () => void {
    const end = (this.family(name) as Histogram).startTimer(ordered(labels));
    return () => void end();
  }

  observe<N extends NameOf<'histogram'>>(name: N, labels: LabelsOf<N>, seconds: number): void {
    (this.family(name) as Histogram).observe(ordered(labels), seconds);
  }

  /** Refreshes gauges that are read from elsewhere (queue depth, member health) before each scrape. */
  addCollector(fn: () => void): void {
    this.collectors.push(fn);
  }

  /** The Prometheus text exposition of every family this process has used. */
  async render(): Promise<string> {
    for (const c of this.collectors) c();
    return this.registry.metrics();
  }

  // Registered on first use: one class serves the controller and the webhook,
  // and each should export only its own families (as before prom-client).
  private family(name: MetricName): Family {
    let m = this.families.get(name);
    if (m) return m;
    const { type, help, labelNames } = FAMILIES[name];
    const config = { name, help, labelNames: [...labelNames], registers: [this.registry] };
    m = type === 'counter' ? new Counter(config) : type === 'gauge' ? new Gauge(config) : new Histogram({ ...config, buckets: BUCKETS });
    this.families.set(name, m);
    return m;
  }
}

/** Labels sorted by name: prom-client prints them in the order of the first call, the text format had them sorted. */
function ordered(labels: Partial<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) if (labels[k] !== undefined) out[k] = labels[k];
  return out;
}
