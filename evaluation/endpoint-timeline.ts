// What a Service's clients saw during a reconfiguration, from what was
// watched (pure): the ready endpoints of its EndpointSlices over time, which
// pods left them and for how long, how long no endpoint was ready at all, and
// each pod's Ready transitions. The experiment (service-disruption.ts)
// records the raw events; this turns them into the report's figures.

export interface SliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: { kind?: string; name?: string };
  nodeName?: string;
}

export interface SliceEvent {
  /** Epoch ms the watch event arrived. */
  t: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  slice: string;
  endpoints: SliceEndpoint[];
}

/** The pods whose endpoint is ready, after each slice event. */
export interface ReadyPoint {
  t: number;
  ready: string[];
}

const podOf = (e: SliceEndpoint) => e.targetRef?.name ?? e.addresses?.[0] ?? '?';

/** Ready endpoint pods after every event (a Service may have several slices; each event replaces its slice's endpoints). */
export function readyTimeline(events: SliceEvent[]): ReadyPoint[] {
  const slices = new Map<string, SliceEndpoint[]>();
  const out: ReadyPoint[] = [];
  for (const e of [...events].sort((a, b) => a.t - b.t)) {
    if (e.type === 'DELETED') slices.delete(e.slice);
    else slices.set(e.slice, e.endpoints);
    const ready = [...slices.values()].flat().filter((x) => x.conditions?.ready !== false).map(podOf).sort();
    out.push({ t: e.t, ready: [...new Set(ready)] });
  }
  return out;
}

export interface EndpointDeparture {
  pod: string;
  /** Epoch ms it left the ready endpoints. */
  left: number;
  /** Until its own endpoint was ready again or, for a pod that never came back (evicted, replaced), until as many endpoints as before were ready; null when neither happened within the window. */
  seconds: number | null;
  cameBack: boolean;
}

export interface EndpointSummary {
  /** Ready endpoints when the window opened. */
  before: number;
  departures: EndpointDeparture[];
  /** Fewest ready endpoints during the window. */
  minReady: number;
  /** Seconds with no ready endpoint at all (the Service answers nobody). */
  zeroReadySeconds: number;
  /** Integral of (endpoints before − endpoints ready) over the window, in endpoint-seconds. */
  missingEndpointSeconds: number;
}

/** Departures and gaps between `from` and `to` (epoch ms), from the timeline (pure). */
export function summarizeEndpoints(timeline: ReadyPoint[], from: number, to: number): EndpointSummary {
  const atStart = [...timeline].reverse().find((p) => p.t <= from)?.ready ?? [];
  const inWindow = timeline.filter((p) => p.t > from && p.t <= to);
  const points: ReadyPoint[] = [{ t: from, ready: atStart }, ...inWindow];
  const before = atStart.length;
  const departures: EndpointDeparture[] = [];
  let minReady = before;
  let zero = 0;
  let missing = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    const next = points[i + 1]?.t ?? to;
    const span = (next - p.t) / 1000;
    minReady = Math.min(minReady, p.ready.length);
    if (p.ready.length === 0) zero += span;
    missing += Math.max(0, before - p.ready.length) * span;
    if (i === 0) continue;
    const prev = new Set(points[i - 1]!.ready);
    for (const pod of prev) {
      if (p.ready.includes(pod)) continue;
      const back = points.slice(i + 1).find((q) => q.ready.includes(pod));
      const full = points.slice(i + 1).find((q) => q.ready.length >= before);
      const end = back ?? full;
      departures.push({ pod, left: p.t, seconds: end ? (end.t - p.t) / 1000 : null, cameBack: !!back });
    }
  }
  return { before, departures, minReady, zeroReadySeconds: zero, missingEndpointSeconds: missing };
}

export interface PodReadyEvent {
  t: number;
  pod: string;
  node?: string;
  /** Ready condition, or 'deleted'. */
  ready: boolean | 'deleted';
}

/** Only the changes: a pod's first event, then each time its Ready value differs from the previous one (pure). */
export function readyTransitions(events: PodReadyEvent[]): PodReadyEvent[] {
  const last = new Map<string, boolean | 'deleted'>();
  const out: PodReadyEvent[] = [];
  for (const e of [...events].sort((a, b) => a.t - b.t)) {
    if (last.get(e.pod) === e.ready) continue;
    last.set(e.pod, e.ready);
    out.push(e);
  }
  return out;
}
