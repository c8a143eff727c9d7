// Where the Calico manifest comes from: the official release manifest for a
// pinned version by default, or any URL (a mirror) or file:// path for
// air-gapped users. Fetched once per URL per controller process.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
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
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { timeout: timeoutMs }, (res) => {
      if ((res.statusCode ?? 0) >= 300 && (res.statusCode ?? 0) < 400 && res.headers.location) {
        res.resume();
        load(new URL(res.headers.location, url).toString(), timeoutMs).then(resolve, reject);
        return;
      }
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Error(`GET ${url}: ${e.message}`)));
  });
}
