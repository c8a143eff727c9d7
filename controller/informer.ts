// A list-watch cache of one resource type on one cluster, like client-go's
// informer: list, then watch from the list's resourceVersion; on watch expiry
// resume from the last seen version; on 410 Gone (or any error) back off and
// relist, diffing the new list against the cache so handlers see the changes
// they missed while disconnected.
import { KubeApiError, PARTIAL_METADATA, PARTIAL_METADATA_LIST, type KubeClient, type KubeObject, type WatchEvent } from '../kube-client/client.js';
import type { Logger } from './logger.js';
import { sleep } from '../kube-client/wait.js';

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Longest a single watch request stays open; the server ends it and we resume. */
  watchTimeoutSeconds?: number;
  /** Objects' metadata only (PartialObjectMetadata): enough to notice changes, a fraction of the memory. */
  metadataOnly?: boolean;
  /** Keeps only what the cache's users read (e.g. a pod's requests), so thousands of objects stay small. */
  transform?: (obj: never) => unknown;
  /** Backoff after errors, doubling from min to max. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export const objectKey = (o: KubeObject): string => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  /** The same objects by namespace ('' for cluster-scoped), so a per-namespace lookup costs what that namespace holds. */
  private readonly byNamespace = new Map<string, Map<string, T>>();
  private readonly handlers: Array<InformerHandlers<T>> = [];
  private readonly abort = new AbortController();
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private running?: Promise<void>;
  /** Counters for metrics and tests. */
  readonly stats = { lists: 0, watches: 0, relistsAfterGone: 0, errors: 0 };

  constructor(
    private readonly client: KubeClient,
    private readonly path: string,
    private readonly log: Logger,
    private readonly opts: InformerOptions = {},
  ) {}

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.syncWaiters.push(r));
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  /** Objects of one namespace, from the namespace index (not a scan of the whole cache). */
  listNamespace(namespace: string): T[] {
    const m = this.byNamespace.get(namespace);
    return m ? [...m.values()] : [];
  }

  private async run(): Promise<void> {
    let backoff = this.opts.minBackoffMs ?? 500;
    const maxBackoff = this.opts.maxBackoffMs ?? 30_000;
    while (!this.abort.signal.aborted) {
      try {
        let rv = await this.relist();
        backoff = this.opts.minBackoffMs ?? 500;
        // Resume watches from the last version seen until the server says it is too old.
        while (!this.abort.signal.aborted) {
          this.stats.watches++;
          let gone = false;
          await this.client.watch<T>(this.path, {
            resourceVersion: rv,
            allowWatchBookmarks: true,
            timeoutSeconds: this.opts.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 60),
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
          }, (e: WatchEvent<T>) => {
            if (e.type === 'ERROR') {
              const status = e.object as unknown as { code?: number; message?: string };
              if (status.code === 410) gone = true;
              else throw new Error(`watch error: ${status.message ?? JSON.stringify(status)}`);
              return;
            }
            rv = e.object.metadata.resourceVersion ?? rv;
            if (e.type !== 'BOOKMARK') this.apply(e.type, e.object);
          }, this.abort.signal, this.opts.metadataOnly ? PARTIAL_METADATA : undefined);
          if (gone) {
            this.stats.relistsAfterGone++;
            this.log.debug('watch expired (410 Gone); relisting', { path: this.path });
            break;
          }
        }
      } catch (e) {
        if (this.abort.signal.aborted) break;
        this.stats.errors++;
        const gone = e instanceof KubeApiError && e.statusCode === 410;
        if (gone) this.stats.relistsAfterGone++;
        this.log.debug('list/watch failed; retrying', { path: this.path, error: (e as Error).message, backoffMs: backoff });
        await sleep(gone ? 0 : backoff, this.abort.signal);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  /** Lists and reconciles the cache with the result; returns the list's resourceVersion. */
  private async relist(): Promise<string> {
    this.stats.lists++;
    const list = await this.client.list<T>(this.path, {
      query: { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector },
      timeoutMs: 60_000,
      accept: this.opts.metadataOnly ? PARTIAL_METADATA_LIST : undefined,
    });
    const seen = new Set<string>();
    for (const obj of list.items) {
      seen.add(objectKey(obj));
      this.apply('MODIFIED', obj);
    }
    for (const [key, obj] of [...this.store]) if (!seen.has(key)) this.apply('DELETED', obj);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    return list.metadata.resourceVersion ?? '';
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: T): void {
    const obj = this.opts.transform ? (this.opts.transform(raw as never) as T) : raw;
    const key = objectKey(obj);
    const old = this.store.get(key);
    if (type === 'DELETED') {
      if (!old) return;
      this.store.delete(key);
      this.unindex(key, old);
      for (const h of this.handlers) h.onDelete?.(old);
      return;
    }
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return; // relist of an unchanged object
    this.store.set(key, obj);
    this.index(key, obj);
    for (const h of this.handlers) (old ? h.onUpdate?.(old, obj) : h.onAdd?.(obj));
  }

  private index(key: string, obj: T): void {
    const ns = obj.metadata.namespace ?? '';
    let m = this.byNamespace.get(ns);
    if (!m) this.byNamespace.set(ns, (m = new Map()));
    m.set(key, obj);
  }

  private unindex(key: string, obj: T): void {
    const ns = obj.metadata.namespace ?? '';
    const m = this.byNamespace.get(ns);
    m?.delete(key);
    if (m && !m.size) this.byNamespace.delete(ns);
  }
}
