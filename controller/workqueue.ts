// A rate-limited work queue keyed like client-go's: a key is queued at most
// once; a key being processed is never processed concurrently and, if it is
// added meanwhile, runs again afterwards; failures back off per key,
// exponentially; a fixed number of workers drain it.

export interface WorkResult {
  /** Process the key again after this long (periodic resync, polling a rollout). */
  requeueAfterMs?: number;
}

export type WorkHandler = (key: string) => Promise<WorkResult | void>;

export interface WorkQueueOptions {
  concurrency: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (key: string, err: Error, retryInMs: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: Array<() => void> = [];
  private wake?: () => void;
  private shuttingDown = false;
  private workers: Array<Promise<void>> = [];
  readonly stats = { adds: 0, processed: 0, retries: 0 };

  constructor(private readonly handler: WorkHandler, private readonly opts: WorkQueueOptions) {}

  get depth(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    this.stats.adds++;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.wake?.();
  }

  /** Adds the key after delayMs; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Backoff for the key's next failure: base × 2^failures, capped. */
  nextBackoffMs(key: string): number {
    const n = this.failures.get(key) ?? 0;
    return Math.min((this.opts.baseBackoffMs ?? 500) * 2 ** n, this.opts.maxBackoffMs ?? 300_000);
  }

  addRateLimited(key: string): number {
    const delay = this.nextBackoffMs(key);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.stats.retries++;
    this.addAfter(key, delay);
    return delay;
  }

  /** Keys being processed right now whose name starts with prefix. */
  processingWithPrefix(prefix: string): string[] {
    return [...this.processing].filter((k) => k.startsWith(prefix));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  start(): void {
    for (let i = 0; i < this.opts.concurrency; i++) this.workers.push(this.work());
  }

  /** Stops taking keys, cancels delayed adds and waits for in-flight work. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.wake?.();
    await Promise.all(this.workers);
  }

  /** Resolves when nothing is queued or processing (delayed adds do not count). */
  whenIdle(): Promise<void> {
    if (!this.queue.length && !this.processing.size) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private next(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const take = () => {
        if (this.shuttingDown) return resolve(undefined);
        const key = this.queue.shift();
        if (key === undefined) {
          const prev = this.wake;
          this.wake = () => {
            this.wake = prev;
            prev?.();
            take();
          };
          return;
        }
        this.queued.delete(key);
        resolve(key);
      };
      take();
    });
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      this.processing.add(key);
      try {
        const result = await this.handler(key);
        this.forget(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      } catch (e) {
        const delay = this.addRateLimited(key);
        this.opts.onError?.(key, e as Error, delay);
      } finally {
        this.stats.processed++;
        this.processing.delete(key);
        if (this.dirty.delete(key)) this.add(key);
        if (!this.queue.length && !this.processing.size) for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }
}
