import { readyTimeline, readyTransitions, summarizeEndpoints, type SliceEvent } from '../../../evaluation/endpoint-timeline.js';

const ep = (pod: string, ready = true) => ({ addresses: [`10.0.0.${pod.length}`], conditions: { ready }, targetRef: { kind: 'Pod', name: pod } });
const ev = (t: number, endpoints: ReturnType<typeof ep>[], slice = 's1', type: SliceEvent['type'] = 'MODIFIED'): SliceEvent => ({ t, type, slice, endpoints });

describe('readyTimeline', () => {
  it('keeps each slice\'s endpoints and counts only ready ones (ready unset counts as ready)', () => {
    const t = readyTimeline([
      ev(0, [ep('a'), ep('b')], 's1', 'ADDED'),
      ev(1, [{ targetRef: { name: 'c' } } as never], 's2', 'ADDED'),
      ev(2, [ep('a', false), ep('b')]),
      ev(3, [], 's2', 'DELETED'),
    ]);
    expect(t).toEqual([{ t: 0, ready: ['a', 'b'] }, { t: 1, ready: ['a', 'b', 'c'] }, { t: 2, ready: ['b', 'c'] }, { t: 3, ready: ['b'] }]);
  });
});

describe('summarizeEndpoints', () => {
  it('all at once: every pod leaves, no endpoint for a while, all come back', () => {
    const tl = readyTimeline([
      ev(0, [ep('a'), ep('b'), ep('c')], 's1', 'ADDED'),
      ev(10_000, [ep('a', false), ep('b'), ep('c')]),
      ev(10_500, [ep('a', false), ep('b', false), ep('c', false)]),
      ev(12_500, [ep('a'), ep('b', false), ep('c')]),
      ev(13_000, [ep('a'), ep('b'), ep('c')]),
    ]);
    const s = summarizeEndpoints(tl, 5_000, 20_000);
    expect(s.before).toBe(3);
    expect(s.minReady).toBe(0);
    expect(s.zeroReadySeconds).toBeCloseTo(2);
    expect(s.departures).toEqual([
      { pod: 'a', left: 10_000, seconds: 2.5, cameBack: true },
      { pod: 'b', left: 10_500, seconds: 2.5, cameBack: true },
      { pod: 'c', left: 10_500, seconds: 2, cameBack: true },
    ]);
    // 1 missing for 0.5 s, 3 for 2 s, 1 for 0.5 s.
    expect(s.missingEndpointSeconds).toBeCloseTo(0.5 + 6 + 0.5);
  });

  it('a drained pod is replaced: it counts until as many endpoints are ready again', () => {
    const tl = readyTimeline([
      ev(0, [ep('a'), ep('b')], 's1', 'ADDED'),
      ev(1_000, [ep('b')]),
      ev(4_000, [ep('b'), ep('a2')]),
    ]);
    expect(summarizeEndpoints(tl, 500, 6_000)).toEqual({ before: 2, departures: [{ pod: 'a', left: 1_000, seconds: 3, cameBack: false }], minReady: 1, zeroReadySeconds: 0, missingEndpointSeconds: 3 });
  });

  it('nothing happens: no departures, nothing missing', () => {
    const tl = readyTimeline([ev(0, [ep('a')], 's1', 'ADDED')]);
    expect(summarizeEndpoints(tl, 1_000, 9_000)).toEqual({ before: 1, departures: [], minReady: 1, zeroReadySeconds: 0, missingEndpointSeconds: 0 });
  });

  it('a pod still out when the window closes has no duration', () => {
    const tl = readyTimeline([ev(0, [ep('a'), ep('b')], 's1', 'ADDED'), ev(2_000, [ep('b')])]);
    expect(summarizeEndpoints(tl, 1_000, 3_000).departures).toEqual([{ pod: 'a', left: 2_000, seconds: null, cameBack: false }]);
  });
});

describe('readyTransitions', () => {
  it('keeps only changes per pod', () => {
    expect(readyTransitions([
      { t: 1, pod: 'a', ready: true }, { t: 2, pod: 'a', ready: true }, { t: 3, pod: 'a', ready: false }, { t: 4, pod: 'b', ready: true }, { t: 5, pod: 'a', ready: 'deleted' },
    ])).toEqual([{ t: 1, pod: 'a', ready: true }, { t: 3, pod: 'a', ready: false }, { t: 4, pod: 'b', ready: true }, { t: 5, pod: 'a', ready: 'deleted' }]);
  });
});
