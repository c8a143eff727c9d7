import { WorkQueue } from '../../../controller/workqueue.js';
import { sleep } from '../../../kube-client/wait.js';


describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k), { concurrency: 1 });
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    q.start();
    await q.whenIdle();
    expect(seen).toEqual(['a', 'b']);
    await q.shutdown();
  });

  /** A queue of 4 workers whose handler takes `ms` and counts runs and the most running at once. */
  function countingQueue(ms: number) {
    const seen = { running: 0, maxRunning: 0, runs: 0 };
    const q = new WorkQueue(async () => {
      seen.running++;
      seen.maxRunning = Math.max(seen.maxRunning, seen.running);
      seen.runs++;
      await sleep(ms);
      seen.running--;
    }, { concurrency: 4 });
    q.start();
    return { q, seen };
  }

  it('never processes one key concurrently, and reruns a key added while it was processing', async () => {
    const { q, seen } = countingQueue(30);
    q.add('k');
    await sleep(5);
    q.add('k'); // while processing: marks dirty
    q.add('k');
    await sleep(100);
    await q.whenIdle();
    expect(seen).toMatchObject({ maxRunning: 1, runs: 2 });
    await q.shutdown();
  });

  it('never hands one key to two workers when it is added again before the first worker resumes', async () => {
    const { q, seen } = countingQueue(20);
    q.add('k'); // an idle worker takes it at once...
    q.add('k'); // ...and this, in the same tick, must only mark it dirty
    await sleep(10);
    await q.whenIdle();
    await sleep(50);
    await q.whenIdle();
    expect(seen).toMatchObject({ maxRunning: 1, runs: 2 });
    await q.shutdown();
  });

  it('tells which typed items are being processed', async () => {
    type Item = { kind: 'member' | 'status'; name: string };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue<Item>(async () => gate, { concurrency: 2, keyOf: (i) => `${i.kind}/${i.name}` });
    q.start();
    q.add({ kind: 'member', name: 'a' });
    q.add({ kind: 'status', name: 'a' });
    await sleep(5);
    expect(q.processingWhere((i) => i.kind === 'member')).toEqual([{ kind: 'member', name: 'a' }]);
    release();
    await q.whenIdle();
    expect(q.processingWhere(() => true)).toEqual([]);
    await q.shutdown();
  });

  it('works on different keys concurrently up to the limit', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(30);
      running--;
    }, { concurrency: 3 });
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) q.add(k);
    q.start();
    await sleep(10);
    await q.whenIdle();
    expect(maxRunning).toBe(3);
    await q.shutdown();
  });

  it('backs off exponentially per key on failure and forgets after success', async () => {
    const times: number[] = [];
    let calls = 0;
    const errors: number[] = [];
    const q = new WorkQueue(async () => {
      times.push(Date.now());
      if (++calls <= 3) throw new Error('boom');
    }, { concurrency: 1, baseBackoffMs: 20, maxBackoffMs: 1000, onError: (_k, _e, d) => errors.push(d) });
    q.start();
    q.add('x');
    await sleep(400);
    expect(calls).toBe(4);
    expect(errors).toEqual([20, 40, 80]);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(75);
    expect(q.failuresOf('x')).toBe(0);
    await q.shutdown();
  });

  it('caps the backoff', () => {
    const q = new WorkQueue(async () => undefined, { concurrency: 1, baseBackoffMs: 100, maxBackoffMs: 250 });
    expect([q.addRateLimited('y'), q.addRateLimited('y'), q.addRateLimited('y')]).toEqual([100, 200, 250]);
    return q.shutdown();
  });

  it('requeues after the delay a handler asks for, keeping the earliest pending delay', async () => {
    let runs = 0;
    const q = new WorkQueue(async () => {
      runs++;
      return runs === 1 ? { requeueAfterMs: 50 } : undefined;
    }, { concurrency: 1 });
    q.start();
    q.add('r');
    await sleep(20);
    expect(runs).toBe(1);
    await sleep(80);
    expect(runs).toBe(2);
    await q.shutdown();
  });

  it('a slow key does not hold up other keys', async () => {
    const done: string[] = [];
    const q = new WorkQueue(async (k) => {
      if (k === 'slow') await sleep(200);
      done.push(k);
    }, { concurrency: 2 });
    q.start();
    q.add('slow');
    for (const k of ['a', 'b', 'c']) q.add(k);
    await sleep(50);
    expect(done).toEqual(['a', 'b', 'c']);
    await q.whenIdle();
    await q.shutdown();
  });
});
