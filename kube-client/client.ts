// A small Kubernetes REST client. @kubernetes/client-node's KubeConfig supplies
// authentication (tokens, client certs, exec plugins); requests go through one
// keep-alive HTTPS agent per cluster so a controller talking to many members
// reuses connections and can bound every call with a timeout.
import https from 'node:https';
import tls from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { RestMapper, type ObjectRef } from './rest-mapper.js';
import { sleep } from './wait.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    ownerReferences?: Array<Record<string, unknown>>;
    managedFields?: Array<Record<string, unknown>>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface KubeList<T = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * Accept headers that make the API server send only each object's metadata (PartialObjectMetadata),
 * for lists and for watch events; plain JSON after the comma for a server that cannot.
 */
export const PARTIAL_METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
export const PARTIAL_METADATA = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** An error answer from the API server, keeping its HTTP code and Status reason. */
export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly statusCode: number,
    readonly reason: string,
    readonly body: string,
    /** The server's Retry-After (seconds), when it sent one (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${method} ${path}: ${statusCode} ${reason}`);
    this.name = 'KubeApiError';
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Accept header (default application/json), e.g. PARTIAL_METADATA_LIST for metadata only. */
  accept?: string;
  contentType?: string;
  timeoutMs?: number;
  query?: Record<string, string | number | boolean | undefined>;
}

/** The TLS material of request options; a SecureContext is built from exactly these. */
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase'] as const;

/** Request options carrying a prebuilt SecureContext (tls.connect accepts it; https's types omit it). */
type ClientOptions = https.RequestOptions & { secureContext?: tls.SecureContext; tlsMaterial?: unknown[] };

/**
 * Request options with their CA and client credentials turned into one SecureContext. Given only
 * `ca`/`cert`/`key`, Node builds a new SecureContext (~26 KiB native) for every connection; built
 * once here it is shared by all of this client's connections. Reused from `previous` while the
 * material is unchanged (kubeconfig credentials are re-read every minute).
 */
export function withSecureContext(opts: https.RequestOptions, previous?: ClientOptions): ClientOptions {
  const material = TLS_KEYS.map((k) => opts[k]);
  const rest: https.RequestOptions = { ...opts };
  for (const k of TLS_KEYS) delete rest[k];
  if (material.every((m) => m === undefined)) return rest;
  const same = previous?.tlsMaterial?.every((m, i) => sameMaterial(m, material[i]));
  const secureContext = same && previous?.secureContext
    ? previous.secureContext
    : tls.createSecureContext(Object.fromEntries(TLS_KEYS.map((k) => [k, opts[k]])) as tls.SecureContextOptions);
  // tlsMaterial is not an https option: Node ignores unknown keys, and it keeps the comparison here.
  return { ...rest, secureContext, tlsMaterial: material };
}

function sameMaterial(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameMaterial(x, b[i]));
  return a === b;
}

export class KubeClient {
  readonly server: string;
  /** Requests sent (watches included), for metrics and load figures. */
  readonly stats = { requests: 0, errors: 0 };
  /** Sees every request before it is sent (method, path, query): tests record what a tactic asks of a member. */
  onRequest?: (method: string, path: string, query: Record<string, unknown>) => void;
  private readonly agent: https.Agent;
  private base: ClientOptions;
  /** Re-reads credentials (exec plugins such as aws/gcloud hand out tokens that expire); set for kubeconfig clients. */
  private refreshAuth?: () => Promise<https.RequestOptions>;
  private authReadAt = Date.now();
  /** Kind → path from this API server's discovery. */
  readonly mapper = new RestMapper((path) => this.get(path));

  /**
   * maxFreeSockets: idle connections kept. A member client keeps one: a controller holds a client per
   * member and every TLS connection costs ~50 KiB of native memory, so the sockets a burst of parallel
   * requests opens are closed once it is over. A kubeconfig client (the host) keeps more: its status
   * writers and Events run several requests at once all the time. No agent timeout: it would cut
   * quiet watches too.
   */
  private constructor(server: string, base: https.RequestOptions, maxFreeSockets: number) {
    this.server = server.replace(/\/+$/, '');
    this.base = withSecureContext(base);
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets });
  }

  /** Credentials again from the kubeconfig: every minute, and at once after a 401. */
  private async freshAuth(force: boolean): Promise<void> {
    if (!this.refreshAuth || (!force && Date.now() - this.authReadAt < 60_000)) return;
    this.authReadAt = Date.now();
    this.base = withSecureContext(await this.refreshAuth(), this.base);
  }

  /** Loads a kubeconfig file (current context) or an already parsed KubeConfig. */
  static async fromKubeConfig(source: string | KubeConfig): Promise<KubeClient> {
    const kc = typeof source === 'string' ? new KubeConfig() : source;
    if (typeof source === 'string') kc.loadFromFile(source);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    // The context is fixed now: a caller may switch the KubeConfig's current context afterwards.
    const context = kc.getCurrentContext();
    const read = async () => {
      const previous = kc.getCurrentContext();
      kc.setCurrentContext(context);
      try {
        const opts: https.RequestOptions = {};
        await kc.applyToHTTPSOptions(opts);
        return opts;
      } finally {
        kc.setCurrentContext(previous);
      }
    };
    const client = new KubeClient(cluster.server, await read(), 16);
    client.refreshAuth = read;
    return client;
  }

  /** A client from an endpoint, CA bundle (PEM) and bearer token, as KubeFed stores members. */
  static fromToken(server: string, caPem: string | undefined, token: string, insecure = false): KubeClient {
    return new KubeClient(server, {
      ca: caPem,
      rejectUnauthorized: !insecure,
      headers: { Authorization: `Bearer ${token}` },
    }, 1);
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const text = await this.requestText(method, path, opts);
    return (text.length ? JSON.parse(text) : {}) as T;
  }

  /**
   * One request; a 429 (API priority and fairness, or storage still initializing after an API
   * server restart) is retried up to 4 times after the server's Retry-After, or 250 ms doubling
   * without one, capped at 2 s. A 401 re-reads kubeconfig credentials once and retries.
   */
  async requestText(method: string, path: string, opts: RequestOptions = {}): Promise<string> {
    await this.freshAuth(false);
    let reauthenticated = false;
    let resent = false;
    for (let throttled = 0; ;) {
      try {
        return await this.requestOnce(method, path, opts);
      } catch (e) {
        // The keep-alive race (the server closed the idle connection as we reused it; nothing was
        // processed): sent again once on a fresh connection, as Go's transport does for idempotent
        // requests (not a POST: a create that did land would be made twice).
        if ((e as { staleConnection?: boolean }).staleConnection && !resent && method !== 'POST') {
          resent = true;
          continue;
        }
        // An expired token: read the credentials once more and retry once.
        if (e instanceof KubeApiError && e.statusCode === 401 && this.refreshAuth && !reauthenticated) {
          reauthenticated = true;
          await this.freshAuth(true);
          continue;
        }
        if (!(e instanceof KubeApiError && e.statusCode === 429) || throttled >= 4) throw e;
        const wait = e.retryAfterSeconds !== undefined ? e.retryAfterSeconds * 1000 : 250 * 2 ** throttled;
        throttled++;
        await sleep(Math.min(2000, wait));
      }
    }
  }

  private async requestOnce(method: string, path: string, opts: RequestOptions = {}): Promise<string> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload =
      opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', ...(this.base.headers as Record<string, string>) };
    if (payload !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const timeoutMs = opts.timeoutMs ?? 30_000;
    this.stats.requests++;
    this.onRequest?.(method, url.pathname, opts.query ?? {});
    return new Promise<string>((resolve, reject) => {
      const req = https.request(
        url,
        { ...this.base, method, headers, agent: this.agent, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) return resolve(text);
            this.stats.errors++;
            let reason = res.statusMessage ?? '';
            try {
              const status = JSON.parse(text) as { reason?: string; message?: string };
              reason = status.message ?? status.reason ?? reason;
            } catch {
              reason = text.slice(0, 300) || reason;
            }
            const retryAfter = Number(res.headers['retry-after']);
            reject(new KubeApiError(method, url.pathname, code, reason, text, Number.isFinite(retryAfter) && res.headers['retry-after'] !== undefined ? retryAfter : undefined));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out after ${timeoutMs} ms`)));
      // A kept-alive connection the server closed just as it was reused fails before any answer: say so.
      req.on('error', (e: Error & { staleConnection?: boolean }) => {
        if (req.reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET') e.staleConnection = true;
        reject(e);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * Streams a watch: calls onEvent for every event until the server ends the
   * watch (normal expiry), the signal aborts it, or an error occurs. Resolves
   * when the stream ends; rejects on HTTP errors (a KubeApiError) and resets.
   */
  watch<T = KubeObject>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (e: WatchEvent<T>) => void,
    signal?: AbortSignal,
    accept = 'application/json',
  ): Promise<void> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries({ ...query, watch: true })) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: accept, ...(this.base.headers as Record<string, string>) };
    this.stats.requests++;
    this.onRequest?.('GET', url.pathname, { ...query, watch: true });
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return resolve();
      // No socket timeout: a quiet watch is normal. The server's timeoutSeconds bounds it.
      const req = https.request(url, { ...this.base, method: 'GET', headers, agent: this.agent }, (res) => {
        const code = res.statusCode ?? 0;
        if (code < 200 || code >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new KubeApiError('WATCH', url.pathname, code, Buffer.concat(chunks).toString('utf8').slice(0, 300), '')));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent<T>);
            } catch (e) {
              // A handler that gives up on the stream (or a torn line) ends this watch with its error.
              req.destroy();
              reject(e as Error);
              return;
            }
          }
        });
        res.on('end', () => resolve());
        // A connection cut without an end (API server restarting) is an ended watch too; the caller resumes.
        res.on('close', () => resolve());
        res.on('error', (e) => (signal?.aborted ? resolve() : reject(e)));
      });
      const abort = () => {
        req.destroy();
        resolve();
      };
      signal?.addEventListener('abort', abort, { once: true });
      req.on('error', (e) => (signal?.aborted ? resolve() : reject(e)));
      req.on('close', () => signal?.removeEventListener('abort', abort));
      req.end();
    });
  }

  get<T = KubeObject>(path: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, opts);
  }

  /** GET that answers undefined for 404 instead of throwing. */
  async getOptional<T = KubeObject>(path: string, opts?: RequestOptions): Promise<T | undefined> {
    try {
      return await this.get<T>(path, opts);
    } catch (e) {
      if (e instanceof KubeApiError && e.statusCode === 404) return undefined;
      throw e;
    }
  }

  list<T = KubeObject>(path: string, opts?: RequestOptions): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', path, opts);
  }

  post<T = KubeObject>(path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, { ...opts, body });
  }

  /** Server-Side Apply: the object at `path` is owned field by field by `fieldManager`. */
  apply<T = KubeObject>(path: string, obj: KubeObject, fieldManager: string, force = true): Promise<T> {
    return this.request<T>('PATCH', path, {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force },
    });
  }

  mergePatch<T = KubeObject>(path: string, patch: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>('PATCH', path, { ...opts, body: patch, contentType: 'application/merge-patch+json' });
  }

  /**
   * Propagation for deleting an object of this kind: Foreground for workloads, so they are gone only when
   * their pods are; Background for the rest, whose deletion then does not wait on the garbage collector
   * (Foreground on CRDs and namespaces hung for minutes while the collector resynced its discovery).
   */
  static propagationFor(kind: string): 'Foreground' | 'Background' {
    return ['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job'].includes(kind) ? 'Foreground' : 'Background';
  }

  /**
   * Polls until every path answers 404 or timeoutMs passes (one deadline for all);
   * returns the paths still there. Deletion with finalizers is not instant.
   */
  async waitGone(paths: string[], timeoutMs: number, intervalMs = 500): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (const p of paths) {
      while (Date.now() < deadline && (await this.getOptional(p))) await sleep(intervalMs);
    }
    const left: string[] = [];
    for (const p of paths) if (await this.getOptional(p)) left.push(p);
    return left;
  }

  /** The REST path of an object, from discovery. */
  pathOf(o: ObjectRef): Promise<string> {
    return this.mapper.objectPath(o);
  }

  /** Server-Side Apply of an object at its own path. */
  async applyObject<T = KubeObject>(obj: KubeObject, fieldManager: string): Promise<T> {
    return this.apply<T>(await this.pathOf(obj), obj, fieldManager);
  }

  /** DELETE that treats an already missing object as done (idempotent). */
  async delete(path: string, opts?: RequestOptions): Promise<boolean> {
    try {
      await this.request('DELETE', path, opts);
      return true;
    } catch (e) {
      if (e instanceof KubeApiError && e.statusCode === 404) return false;
      throw e;
    }
  }
}
