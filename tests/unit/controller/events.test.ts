// In ESM mode jest injects no `jest` global; fake timers come from @jest/globals.
import { jest } from '@jest/globals';
import { EventRecorder, type EventRecorderOptions } from '../../../controller/events.js';
import { createLogger } from '../../../controller/logger.js';
import type { KubeClient, KubeObject } from '../../../kube-client/client.js';

/** The two KubeClient calls the recorder makes, recorded; `failPatch` makes the next merge patches fail. */
class FakeHost {
  readonly posts: Array<{ path: string; body: Record<string, unknown> }> = [];
  readonly patches: Array<{ path: string; patch: Record<string, unknown> }> = [];
  failPatch = false;
  failPost = false;

  async post(path: string, body: unknown): Promise<KubeObject> {
    this.posts.push({ path, body: body as Record<string, unknown> });
    if (this.failPost) throw new Error('events is forbidden');
    return body as KubeObject;
  }

  async mergePatch(path: string, patch: unknown): Promise<KubeObject> {
    this.patches.push({ path, patch: patch as Record<string, unknown> });
    if (this.failPatch) throw new Error('events "x" not found');
    return {} as KubeObject;
  }
}

// Plenty of write slots: these tests look at what is sent, the queue has tests of its own.
const opts: EventRecorderOptions = { namespace: 'fedfeat-system', component: 'fedfeat-controller', burst: 3, refillPerMinute: 6, maxInFlight: 100 };

function recorder(o: Partial<EventRecorderOptions> = {}) {
  const host = new FakeHost();
  // KubeClient has a private constructor; the recorder only calls post and mergePatch, which FakeHost has.
  const rec = new EventRecorder(host as unknown as KubeClient, createLogger('error', true), { ...opts, ...o });
  return { host, rec };
}

const fc = (name: string, uid: string): KubeObject => ({
  apiVersion: 'fedfeat.io/v1alpha1', kind: 'FeatureConfig', metadata: { name, uid, resourceVersion: '7' },
});

/** Lets the recorder's fire-and-forget client promises settle (their .catch handlers run). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const T0 = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  // setImmediate stays real so settle() works; Date and timers are fake.
  jest.useFakeTimers({ now: T0, doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});
afterEach(() => jest.useRealTimers());

describe('EventRecorder token bucket', () => {
  it('allows a burst, then refills refillPerMinute tokens a minute, never above the burst', () => {
    const { rec } = recorder();
    expect([rec.allow('k', T0), rec.allow('k', T0), rec.allow('k', T0), rec.allow('k', T0)]).toEqual([true, true, true, false]);
    // 6 a minute: one token every 10 s. (Each call refills by the time since the last
    // call, so probing at 9 s and then at 10 s sums 0.9 + 0.1 in floating point, a
    // hair under one token; the probes below use a second, drained key instead.)
    expect(rec.allow('k', T0 + 10_000)).toBe(true);
    expect(rec.allow('k', T0 + 10_000)).toBe(false);
    for (let i = 0; i < 3; i++) rec.allow('j', T0);
    expect(rec.allow('j', T0 + 9_000)).toBe(false);
    // A long quiet spell gives back the burst, not more.
    const later = T0 + 60 * 60_000;
    expect([rec.allow('k', later), rec.allow('k', later), rec.allow('k', later), rec.allow('k', later)]).toEqual([true, true, true, false]);
  });

  it('keeps one bucket per key', () => {
    const { rec } = recorder({ burst: 1 });
    expect(rec.allow('a', T0)).toBe(true);
    expect(rec.allow('a', T0)).toBe(false);
    expect(rec.allow('b', T0)).toBe(true);
  });
});

describe('EventRecorder.record', () => {
  it('posts one Event on the FeatureConfig, naming cluster, feature and node in the message', () => {
    const { host, rec } = recorder();
    rec.record(fc('fc1', 'u1'), { type: 'Warning', reason: 'ApplyFailed', message: 'boom', cluster: 'm1', feature: 'podpreset', node: 'n1' });
    expect(host.posts).toHaveLength(1);
    const { path, body } = host.posts[0]!;
    expect(path).toBe('/api/v1/namespaces/fedfeat-system/events');
    expect(body).toMatchObject({
      apiVersion: 'v1', kind: 'Event',
      metadata: { namespace: 'fedfeat-system' },
      involvedObject: { apiVersion: 'fedfeat.io/v1alpha1', kind: 'FeatureConfig', name: 'fc1', uid: 'u1', resourceVersion: '7' },
      type: 'Warning', reason: 'ApplyFailed', message: '[cluster=m1 feature=podpreset node=n1] boom',
      source: { component: 'fedfeat-controller' }, reportingComponent: 'fedfeat-controller',
      count: 1, firstTimestamp: '2026-01-01T00:00:00.000Z', lastTimestamp: '2026-01-01T00:00:00.000Z',
    });
    expect((body.metadata as { name: string }).name).toMatch(/^fc1\./);
    expect(rec.stats).toEqual({ emitted: 1, folded: 0, dropped: 0 });
  });

  it('caps the message at 1024 characters', () => {
    const { host, rec } = recorder();
    rec.record(fc('fc1', 'u1'), { type: 'Normal', reason: 'Long', message: 'x'.repeat(5000) });
    expect(host.posts[0]!.body.message).toHaveLength(1024);
  });

  it('folds repeats of the same reason and message on the same object into one Event whose count and lastTimestamp grow', () => {
    const { host, rec } = recorder();
    const e = { type: 'Warning', reason: 'RevertBlocked', cluster: 'm1', message: 'member unreachable' } as const;
    rec.record(fc('fc1', 'u1'), e);
    const name = (host.posts[0]!.body.metadata as { name: string }).name;
    jest.setSystemTime(T0 + 5_000);
    rec.record(fc('fc1', 'u1'), e);
    jest.setSystemTime(T0 + 9_000);
    rec.record(fc('fc1', 'u1'), e);
    expect(host.posts).toHaveLength(1);
    expect(host.patches).toEqual([
      { path: `/api/v1/namespaces/fedfeat-system/events/${name}`, patch: { count: 2, lastTimestamp: '2026-01-01T00:00:05.000Z' } },
      { path: `/api/v1/namespaces/fedfeat-system/events/${name}`, patch: { count: 3, lastTimestamp: '2026-01-01T00:00:09.000Z' } },
    ]);
    expect(rec.stats).toEqual({ emitted: 1, folded: 2, dropped: 0 });
  });

  it('does not fold a different reason, message, cluster or FeatureConfig', () => {
    const { host, rec } = recorder({ burst: 10 });
    rec.record(fc('fc1', 'u1'), { type: 'Normal', reason: 'Applied', message: 'ok', cluster: 'm1' });
    rec.record(fc('fc1', 'u1'), { type: 'Normal', reason: 'Reverted', message: 'ok', cluster: 'm1' });
    rec.record(fc('fc1', 'u1'), { type: 'Normal', reason: 'Applied', message: 'ok again', cluster: 'm1' });
    rec.record(fc('fc1', 'u1'), { type: 'Normal', reason: 'Applied', message: 'ok', cluster: 'm2' });
    rec.record(fc('fc2', 'u2'), { type: 'Normal', reason: 'Applied', message: 'ok', cluster: 'm1' });
    expect(host.posts).toHaveLength(5);
    expect(host.patches).toHaveLength(0);
  });

  it('rate-limits per FeatureConfig and member: a flapping member loses its events, others keep theirs, and it gets tokens back with time', () => {
    const { host, rec } = recorder();
    for (let i = 0; i < 5; i++) rec.record(fc('fc1', 'u1'), { type: 'Warning', reason: 'Offline', message: `flap ${i}`, cluster: 'm1' });
    expect(host.posts.map((p) => p.body.message)).toEqual(['[cluster=m1] flap 0', '[cluster=m1] flap 1', '[cluster=m1] flap 2']);
    expect(rec.stats).toEqual({ emitted: 3, folded: 0, dropped: 2 });

    // Another member of the same FeatureConfig, and the same member under another FeatureConfig, have buckets of their own.
    rec.record(fc('fc1', 'u1'), { type: 'Warning', reason: 'Offline', message: 'down', cluster: 'm2' });
    rec.record(fc('fc2', 'u2'), { type: 'Warning', reason: 'Offline', message: 'down', cluster: 'm1' });
    expect(host.posts).toHaveLength(5);

    // 6 a minute: after 10 s exactly one more event for fc1/m1.
    jest.setSystemTime(T0 + 10_000);
    rec.record(fc('fc1', 'u1'), { type: 'Warning', reason: 'Offline', message: 'flap 5', cluster: 'm1' });
    rec.record(fc('fc1', 'u1'), { type: 'Warning', reason: 'Offline', message: 'flap 6', cluster: 'm1' });
    expect(host.posts.slice(5).map((p) => p.body.message)).toEqual(['[cluster=m1] flap 5']);
    expect(rec.stats.dropped).toBe(3);
  });

  it('folds a repeat even when the bucket is empty (a patch of an existing Event costs no token)', () => {
    const { host, rec } = recorder({ burst: 1 });
    const e = { type: 'Warning', reason: 'Offline', message: 'down', cluster: 'm1' } as const;
    rec.record(fc('fc1', 'u1'), e);
    rec.record(fc('fc1', 'u1'), { ...e, message: 'other' });
    rec.record(fc('fc1', 'u1'), e);
    expect(host.posts).toHaveLength(1);
    expect(host.patches).toHaveLength(1);
    expect(rec.stats).toEqual({ emitted: 1, folded: 1, dropped: 1 });
  });

  it('posts a new Event when patching the folded one failed (it was deleted or expired)', async () => {
    const { host, rec } = recorder();
    const e = { type: 'Normal', reason: 'Applied', message: 'ok' } as const;
    rec.record(fc('fc1', 'u1'), e);
    host.failPatch = true;
    rec.record(fc('fc1', 'u1'), e);
    await settle();
    host.failPatch = false;
    rec.record(fc('fc1', 'u1'), e);
    expect(host.posts).toHaveLength(2);
    expect(host.posts[1]!.body).toMatchObject({ count: 1, reason: 'Applied' });
    expect(host.patches).toHaveLength(1);
  });

  it('does not throw or reject when the API server refuses the Event', async () => {
    const { host, rec } = recorder();
    host.failPost = true;
    expect(() => rec.record(fc('fc1', 'u1'), { type: 'Normal', reason: 'Applied', message: 'ok' })).not.toThrow();
    // An unhandled rejection would fail the test run; the recorder logs it instead.
    await settle();
    expect(host.posts).toHaveLength(1);
  });
});

/** A host whose writes stay pending until released, to see the queue. */
class SlowHost extends FakeHost {
  private readonly waiting: Array<() => void> = [];
  override async post(path: string, body: unknown): Promise<KubeObject> {
    this.posts.push({ path, body: body as Record<string, unknown> });
    await new Promise<void>((r) => this.waiting.push(r));
    return body as KubeObject;
  }
  release(): void {
    for (const r of this.waiting.splice(0)) r();
  }
}

describe('EventRecorder at fleet scale', () => {
  it('keeps at most maxInFlight writes going, queues up to maxPending and drops (counted) beyond', async () => {
    const host = new SlowHost();
    const rec = new EventRecorder(host as unknown as KubeClient, createLogger('error', true), { ...opts, burst: 100, maxInFlight: 2, maxPending: 3 });
    for (let i = 0; i < 7; i++) rec.record(fc('fc1', 'u1'), { type: 'Normal', reason: 'Detected', message: `m${i}`, cluster: `c${i}` });
    expect(host.posts).toHaveLength(2);
    expect(rec.queued).toBe(3);
    expect(rec.stats.dropped).toBe(2);
    for (let i = 0; i < 5 && host.posts.length < 5; i++) {
      host.release();
      await settle();
    }
    expect(host.posts.map((p) => p.body.message)).toEqual(['[cluster=c0] m0', '[cluster=c1] m1', '[cluster=c2] m2', '[cluster=c3] m3', '[cluster=c4] m4']);
    expect(rec.queued).toBe(0);
    host.release();
  });

  it('limits events per FeatureConfig over all members and summarizes what it left out once a minute', async () => {
    const { host, rec } = recorder({ burst: 5, objectBurst: 3, objectRefillPerMinute: 0 });
    for (let i = 0; i < 10; i++) rec.record(fc('fc1', 'u1'), { type: 'Normal', reason: 'Detected', message: 'missing', cluster: `c${i}` });
    rec.record(fc('fc1', 'u1'), { type: 'Warning', reason: 'Failed', message: 'boom', cluster: 'c0' });
    // Another FeatureConfig has its own bucket.
    rec.record(fc('fc2', 'u2'), { type: 'Normal', reason: 'Detected', message: 'missing', cluster: 'c0' });
    expect(host.posts.map((p) => `${(p.body.involvedObject as { name: string }).name} ${p.body.message}`)).toEqual([
      'fc1 [cluster=c0] missing', 'fc1 [cluster=c1] missing', 'fc1 [cluster=c2] missing', 'fc2 [cluster=c0] missing',
    ]);
    expect(rec.stats.dropped).toBe(8);
    jest.advanceTimersByTime(60_000);
    const summaries = host.posts.slice(4).map((p) => [p.body.type, p.body.reason, p.body.message]);
    expect(summaries).toEqual([
      ['Normal', 'Detected', '7 more Detected event(s) on other members not recorded one by one (rate limit for this FeatureConfig); every member\'s state: kubectl get clusterfeaturestatuses -A -l feature.kubefed.io/featureconfig=fc1'],
      ['Warning', 'Failed', '1 more Failed event(s) on other members not recorded one by one (rate limit for this FeatureConfig); every member\'s state: kubectl get clusterfeaturestatuses -A -l feature.kubefed.io/featureconfig=fc1'],
    ]);
    // Nothing left out since: no further summary.
    jest.advanceTimersByTime(120_000);
    expect(host.posts).toHaveLength(6);
    rec.stop();
  });
});
