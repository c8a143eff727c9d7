// Where the Calico manifest comes from: the official release manifest for a
// pinned version by default, or any URL (a mirror) or file:// path for
// air-gapped users. Fetched once per URL per controller process.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const cache = new Map<string, Promise<string>>();

export function fetchManifest(url: string, timeoutMs = 30_000): Promise<string> {
  let p = cache.get(url);
  if (!p) {
    p = load(url, timeoutMs);
    cache.set(url, p);
    p.catch(() => cache.delete(url)); // failures are retried on the next reconcile
  }
  return p;
}

async function load(url: string, timeoutMs: number): Promise<string> {
  if (url.startsWith('file://')) return readFile(fileURLToPath(url), 'utf8');
  if (url.startsWith('/')) return readFile(url, 'utf8');
  if (!/^https?:\/\//.test(url)) throw new Error(`calico manifest URL must be http(s)://, file:// or an absolute path (got "${url}")`);
  // One deadline for the whole download (redirects and body included); fetch follows up to 20 redirects.
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { signal });
    if (res.status !== 200) {
      await res.body?.cancel();
      const where = res.redirected ? ` (redirected to ${res.url})` : '';
      throw new HttpError(`GET ${url}: HTTP ${res.status}${where}`);
    }
    return await res.text();
  } catch (e) {
    if (e instanceof HttpError) throw e;
    if (signal.aborted) throw new Error(`GET ${url}: timed out after ${timeoutMs} ms`);
    throw new Error(`GET ${url}: ${reason(e)}`);
  }
}

class HttpError extends Error {}

/** fetch reports network failures as "fetch failed" with the cause (ECONNREFUSED, a bad redirect...) beneath. */
function reason(e: unknown): string {
  // Duck-typed, not instanceof: the cause comes from undici's realm (a jest VM context has other Error classes).
  type Failure = { message?: string; code?: string; cause?: Failure; errors?: Failure[] };
  const err = e as Failure;
  const cause = err.cause ?? err;
  // Connecting to every address of a name fails as an AggregateError with an empty message: take the first.
  return cause.message || cause.errors?.[0]?.message || cause.code || err.message || String(e);
}
