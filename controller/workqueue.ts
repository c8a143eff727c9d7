// A rate-limited work queue keyed like client-go's: an item is queued at most
// once per key; a key being processed is never processed concurrently and, if
// it is added meanwhile, runs again afterwards; failures back off per key,
// exponentially; a fixed number of workers drain it. Items are typed; their
// key (keyOf) only decides what counts as the same work.

export interface WorkResult {
  /** Process the key again after this long (periodic resync, polling a rollout). */
  requeueAfterMs?: number;
}

export type WorkHandler<T> = (item: T) => Promise<WorkResult | void>;

export interface WorkQueueOptions<T> {
  concurrency: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  onError?: (item: T, err: Error, retryInMs: number) => void;
  /** What makes two items the same work; defaults to String(item). */
  keyOf?: (item: T) => string;
}

export class WorkQueue<T = string> {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: Array<() => void> = [];
  /** The latest item added under each key that is queued, delayed or processing. */
  private readonly items = new Map<string, T>();
  private readonly keyOf: (item: T) => string;
  private wake?: () => void;
  private shuttingDown = false;
  private workers: Array<Promise<void>> = [];
  readonly stats = { adds: 0, processed: 0, retries: 0 };

  constructor(private readonly handler: WorkHandler<T>, private readonly opts: WorkQueueOptions<T>) {
    this.keyOf = opts.keyOf ?? String;
  }

  get depth(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.processing.size;
  }

  add(item: T): void {
    if (this.shuttingDown) return;
    const key = this.keyOf(item);
    this.items.set(key, item);
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

  /** Adds the item after delayMs; an earlier pending delay for the same key wins. */
  addAfter(item: T, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(item);
    const key = this.keyOf(item);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    if (!this.items.has(key)) this.items.set(key, item);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(this.items.get(key) ?? item); // the latest item for the key, should a newer one have been added
    }, delayMs);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Backoff for the item's next failure: base × 2^failures, capped. */
  nextBackoffMs(item: T): number {
    const n = this.failures.get(this.keyOf(item)) ?? 0;
    return Math.min((this.opts.baseBackoffMs ?? 500) * 2 ** n, this.opts.maxBackoffMs ?? 300_000);
  }

  addRateLimited(item: T): number {
    const delay = this.nextBackoffMs(item);
    const key = this.keyOf(item);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.stats.retries++;
    this.addAfter(item, delay);
    return delay;
  }

  /** Items being processed right now that match. */
  processingWhere(match: (item: T) => boolean): T[] {
    return [...this.processing].flatMap((k) => {
      const item = this.items.get(k);
      return item !== undefined && match(item) ? [item] : [];
    });
  }

  forget(item: T): void {
    this.failures.delete(this.keyOf(item));
  }

  failuresOf(item: T): number {
    return this.failures.get(this.keyOf(item)) ?? 0;
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
        // Marked processing here, synchronously: an add() before the worker resumes must mark the key dirty,
        // not queue it again for a second worker (the same key is never processed twice at once).
        this.processing.add(key);
        resolve(key);
      };
      take();
    });
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      const item = this.items.get(key)!;
      try {
        const result = await this.handler(item);
        this.forget(item);
        if (result?.requeueAfterMs !== undefined) this.addAfter(item, result.requeueAfterMs);
      } catch (e) {
        const delay = this.addRateLimited(item);
        this.opts.onError?.(item, e as Error, delay);
      } finally {
        this.stats.processed++;
        this.processing.delete(key);
        if (this.dirty.delete(key)) this.add(this.items.get(key) ?? item);
        else if (!this.queued.has(key) && !this.timers.has(key)) this.items.delete(key);
        if (!this.queue.length && !this.processing.size) for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }
}
