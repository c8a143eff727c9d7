import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fetchManifest } from '../../../../reconfigurators/calico/source.js';

const MANIFEST = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: calico-system\n';

describe('Calico manifest source', () => {
  let server: http.Server;
  let base: string;
  let dir: string;
  const hits = new Map<string, number>();
  let flakyFixed = false;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = req.url ?? '';
      hits.set(url, (hits.get(url) ?? 0) + 1);
      const send = (code: number, body = '', headers: http.OutgoingHttpHeaders = {}) => res.writeHead(code, headers).end(body);
      if (url === '/calico.yaml' || url === '/cached.yaml' || url === '/moved/calico.yaml') return send(200, MANIFEST);
      if (url === '/permanent') return send(301, '', { Location: '/moved/calico.yaml' });
      if (url === '/temporary') return send(302, '', { Location: `${base}/calico.yaml` });
      if (url === '/to-missing') return send(302, '', { Location: '/missing' });
      if (url === '/flaky') return flakyFixed ? send(200, MANIFEST) : send(503, 'try later');
      if (url === '/slow-headers') return; // answers nothing: the client must give up
      if (url === '/slow-body') return void res.writeHead(200).write('apiVersion: v1\n'); // headers, then nothing more
      send(404, 'not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-calico-source-'));
  });

  afterAll(async () => {
    server.closeAllConnections(); // the stalled responses
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads over http', async () => {
    await expect(fetchManifest(`${base}/calico.yaml`)).resolves.toBe(MANIFEST);
  });

  it('follows 301 and 302 redirects', async () => {
    await expect(fetchManifest(`${base}/permanent`)).resolves.toBe(MANIFEST);
    await expect(fetchManifest(`${base}/temporary`)).resolves.toBe(MANIFEST);
    expect(hits.get('/moved/calico.yaml')).toBe(1);
  });

  it('names the URL and the HTTP status of a failed download', async () => {
    await expect(fetchManifest(`${base}/missing`)).rejects.toThrow(new Error(`GET ${base}/missing: HTTP 404`));
    await expect(fetchManifest(`${base}/to-missing`)).rejects.toThrow(new Error(`GET ${base}/to-missing: HTTP 404 (redirected to ${base}/missing)`));
  });

  it('gives up after the timeout, waiting for the answer or for the rest of the body', async () => {
    await expect(fetchManifest(`${base}/slow-headers`, 300)).rejects.toThrow(new Error(`GET ${base}/slow-headers: timed out after 300 ms`));
    await expect(fetchManifest(`${base}/slow-body`, 300)).rejects.toThrow(new Error(`GET ${base}/slow-body: timed out after 300 ms`));
  });

  it('says why the server could not be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(fetchManifest(`http://127.0.0.1:${port}/calico.yaml`)).rejects.toThrow(`GET http://127.0.0.1:${port}/calico.yaml: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('reads file:// URLs and absolute paths', async () => {
    const file = path.join(dir, 'calico.yaml');
    writeFileSync(file, MANIFEST);
    await expect(fetchManifest(pathToFileURL(file).toString())).resolves.toBe(MANIFEST);
    await expect(fetchManifest(file)).resolves.toBe(MANIFEST);
  });

  it('refuses other schemes and relative paths', async () => {
    await expect(fetchManifest('ftp://mirror.example/calico.yaml')).rejects.toThrow('calico manifest URL must be http(s)://, file:// or an absolute path (got "ftp://mirror.example/calico.yaml")');
    await expect(fetchManifest('calico.yaml')).rejects.toThrow('calico manifest URL must be http(s)://');
  });

  it('caches a download per URL', async () => {
    const url = `${base}/cached.yaml`;
    await expect(fetchManifest(url)).resolves.toBe(MANIFEST);
    await expect(fetchManifest(url)).resolves.toBe(MANIFEST);
    expect(hits.get('/cached.yaml')).toBe(1);
  });

  it('does not cache a failure: the next call tries again', async () => {
    const url = `${base}/flaky`;
    await expect(fetchManifest(url)).rejects.toThrow(`GET ${url}: HTTP 503`);
    flakyFixed = true;
    await expect(fetchManifest(url)).resolves.toBe(MANIFEST);
    expect(hits.get('/flaky')).toBe(2);
  });
});
