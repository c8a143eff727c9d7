// Load generators the experiments share: pods created at a fixed rate against
// an API server, and an HTTP request loop against a pod with per-request
// latency over time.
import http from 'node:http';
import type { KubeClient } from '../kube-client/client.js';
import { sleep } from '../kube-client/wait.js';


export interface BurstResult {
  latenciesMs: number[];
  errors: number;
  achievedPerSecond: number;
}

/** Creates `pods` pods at `rate` per second (open loop: a slow answer does not slow the sender). */
export async function podCreationBurst(
  client: KubeClient, ns: string, pods: number, rate: number, o: { image?: string; dryRun?: boolean; prefix?: string } = {},
): Promise<BurstResult> {
  const prefix = o.prefix ?? 'p';
  const latenciesMs: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const inflight: Array<Promise<void>> = [];
  for (let i = 0; i < pods; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push((async () => {
      const s = performance.now();
      try {
        await client.post(`/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}-${i}`, labels: { role: 'frontend' } },
          spec: { containers: [{ name: 'c', image: o.image ?? 'fedfeat.local/tools:1.0' }], nodeName: 'none' },
        }, o.dryRun ? { query: { dryRun: 'All' } } : {});
        latenciesMs.push(performance.now() - s);
      } catch {
        errors++;
      }
    })());
  }
  await Promise.all(inflight);
  return { latenciesMs, errors, achievedPerSecond: latenciesMs.length / ((performance.now() - t0) / 1000) };
}

export interface ProbeSample {
  /** Seconds since the loop started. */
  t: number;
  /** Latency in ms, or null for a failed request. */
  ms: number | null;
}

/** Calls `get` (true = a successful request) every intervalMs until stopped; returns every sample. */
export function getLoop(get: () => Promise<boolean>, intervalMs = 20): { stop(): Promise<ProbeSample[]> } {
  const samples: ProbeSample[] = [];
  const t0 = performance.now();
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const s = performance.now();
      const ok = await get();
      samples.push({ t: (s - t0) / 1000, ms: ok ? performance.now() - s : null });
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return samples;
    },
  };
}

/** One GET of http://host:port/path: true for a 200 within 1 s. */
export function httpGet(host: string, port: number, path: string): () => Promise<boolean> {
  return () => new Promise<boolean>((res) => {
    http.get({ host, port, path, timeout: 1000 }, (rs) => {
      rs.resume();
      res(rs.statusCode === 200);
    }).on('error', () => res(false)).on('timeout', function (this: http.ClientRequest) {
      this.destroy();
    });
  });
}

/** GETs http://host:port/path every intervalMs until stopped; returns every sample. */
export function httpLoop(host: string, port: number, path: string, intervalMs = 20): { stop(): Promise<ProbeSample[]> } {
  return getLoop(httpGet(host, port, path), intervalMs);
}

/** Failed requests and the longest time without a successful one. */
export function disruption(samples: ProbeSample[]): { ok: number; failed: number; longestGapMs: number } {
  let last = samples[0]?.t ?? 0;
  let gap = 0;
  let ok = 0;
  for (const s of samples) {
    if (s.ms === null) continue;
    ok++;
    gap = Math.max(gap, (s.t - last) * 1000);
    last = s.t;
  }
  return { ok, failed: samples.length - ok, longestGapMs: Math.round(gap) };
}
