// Prometheus metrics in the text exposition format, without a client library:
// counters, gauges and one histogram family are all fedfeat needs.
type Labels = Record<string, string>;

const labelKey = (l: Labels) => Object.keys(l).sort().map((k) => `${k}="${String(l[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');

const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const HELP: Record<string, [string, 'counter' | 'gauge' | 'histogram']> = {
  fedfeat_reconcile_duration_seconds: ['Duration of one work item (member reconcile, status write, finalize).', 'histogram'],
  fedfeat_reconcile_errors_total: ['Work items that failed and were retried with backoff.', 'counter'],
  fedfeat_workqueue_depth: ['Keys waiting in the work queue.', 'gauge'],
  fedfeat_feature_state: ['1 for the current state of each feature on each member.', 'gauge'],
  fedfeat_member_ready: ['1 when the member API server is healthy.', 'gauge'],
  fedfeat_member_api_requests_total: ['Requests sent to each member API server.', 'counter'],
  fedfeat_leader: ['1 while this replica holds the leader lease.', 'gauge'],
  podpreset_webhook_admissions_total: ['Pod admissions by outcome (applied, no-match, excluded, conflict, not-synced).', 'counter'],
  podpreset_webhook_review_seconds: ['Time to answer one AdmissionReview.', 'histogram'],
  podpreset_webhook_tls_handshakes_total: ['TLS connections accepted (the API server should reuse them).', 'counter'],
  podpreset_webhook_decide_seconds: ['Time from a received AdmissionReview to the answer written (parse, merge, serialize).', 'histogram'],
  podpreset_webhook_certificate_reloads_total: ['Serving certificate renewals picked up without a restart.', 'counter'],
};

export class Metrics {
  private readonly values = new Map<string, Map<string, number>>();
  private readonly hist = new Map<string, Map<string, { buckets: number[]; sum: number; count: number }>>();
  private readonly collectors: Array<() => void> = [];

  inc(name: string, labels: Labels = {}, by = 1): void {
    const m = this.family(name);
    const k = labelKey(labels);
    m.set(k, (m.get(k) ?? 0) + by);
  }

  set(name: string, labels: Labels, value: number): void {
    this.family(name).set(labelKey(labels), value);
  }

  /** One series per (featureconfig, cluster, feature) with the state as a label; the old state's series is dropped. */
  setFeatureState(featureconfig: string, cluster: string, feature: string, state: string): void {
    const m = this.family('fedfeat_feature_state');
    const same = labelKey({ cluster, feature, featureconfig });
    for (const k of [...m.keys()]) if (k.startsWith(same)) m.delete(k);
    m.set(labelKey({ cluster, feature, featureconfig, state }), 1);
  }

  startTimer(name: string, labels: Labels): () => void {
    const t0 = process.hrtime.bigint();
    return () => this.observe(name, labels, Number(process.hrtime.bigint() - t0) / 1e9);
  }

  observe(name: string, labels: Labels, seconds: number): void {
    let fam = this.hist.get(name);
    if (!fam) this.hist.set(name, (fam = new Map()));
    const k = labelKey(labels);
    let h = fam.get(k);
    if (!h) fam.set(k, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h!.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  /** Refreshes gauges that are read from elsewhere (queue depth, member health) before each scrape. */
  addCollector(fn: () => void): void {
    this.collectors.push(fn);
  }

  render(): string {
    for (const c of this.collectors) c();
    const out: string[] = [];
    const head = (name: string) => {
      const [help, type] = HELP[name] ?? ['', 'gauge'];
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    for (const [name, series] of this.values) {
      head(name);
      for (const [k, v] of series) out.push(`${name}${k ? `{${k}}` : ''} ${v}`);
    }
    for (const [name, series] of this.hist) {
      head(name);
      for (const [k, h] of series) {
        const sep = k ? `${k},` : '';
        BUCKETS.forEach((b, i) => out.push(`${name}_bucket{${sep}le="${b}"} ${h.buckets[i]}`));
        out.push(`${name}_bucket{${sep}le="+Inf"} ${h.count}`, `${name}_sum${k ? `{${k}}` : ''} ${h.sum}`, `${name}_count${k ? `{${k}}` : ''} ${h.count}`);
      }
    }
    return out.join('\n') + '\n';
  }

  private family(name: string): Map<string, number> {
    let m = this.values.get(name);
    if (!m) this.values.set(name, (m = new Map()));
    return m;
  }
}
