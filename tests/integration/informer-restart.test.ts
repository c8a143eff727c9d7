// The informer the controller builds on, against a real API server that goes
// away and comes back: it keeps its cache, catches up with what changed, and
// goes on watching.
import { Informer } from '../../controller/informer.js';
import { createLogger } from '../../controller/logger.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { startComponent, stopComponent } from '../../local-federation/components.js';
import { adminClient, eventually, TEST_FEDERATION } from './federation.js';
import { sleep } from '../../kube-client/wait.js';

const NS = 'informer-restart';

describe('informer across an API server restart', () => {
  let host: KubeClient;
  beforeAll(async () => {
    host = await adminClient('host');
    await host.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject, 'fedfeat-test');
  });
  afterAll(async () => {
    await host.delete(`/api/v1/namespaces/${NS}`).catch(() => undefined);
    host.close();
  });

  it('caches only metadata when asked, from the list and from watch events, managedFields included', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    await host.post(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meta-listed' }, data: { big: 'x'.repeat(4096) } });
    const inf = new Informer<KubeObject>(host, path, createLogger('error', true), { metadataOnly: true });
    inf.start();
    try {
      await inf.waitForSync();
      const listed = inf.get(`${NS}/meta-listed`) as KubeObject & { data?: unknown };
      expect(listed.kind).toBe('PartialObjectMetadata');
      expect(listed.data).toBeUndefined();
      expect(listed.metadata.uid).toBeDefined();
      await host.apply(`${path}/meta-watched`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'meta-watched' }, data: { big: 'y'.repeat(4096) } } as KubeObject, 'fedfeat-test');
      await eventually('watched object cached', async () => inf.get(`${NS}/meta-watched`) !== undefined, 30_000);
      const watched = inf.get(`${NS}/meta-watched`) as KubeObject & { data?: unknown };
      expect(watched.kind).toBe('PartialObjectMetadata');
      expect(watched.data).toBeUndefined();
      expect(watched.metadata.managedFields?.[0]?.manager).toBe('fedfeat-test');
    } finally {
      await inf.stop();
      for (const n of ['meta-listed', 'meta-watched']) await host.delete(`${path}/${n}`).catch(() => undefined);
    }
  });

  it('keeps watching after the host kube-apiserver restarts', async () => {
    const cm = (name: string) => host.post(`/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
    await cm('before');
    const inf = new Informer<KubeObject>(host, `/api/v1/namespaces/${NS}/configmaps`, createLogger('error', true), { minBackoffMs: 200, maxBackoffMs: 2000 });
    const deleted: string[] = [];
    inf.addHandlers({ onDelete: (o) => deleted.push(o.metadata.name) });
    inf.start();
    await inf.waitForSync();
    expect(inf.get(`${NS}/before`)).toBeDefined();
    try {
      await stopComponent(TEST_FEDERATION, 'host/kube-apiserver');
      await sleep(1000);
    } finally {
      startComponent(TEST_FEDERATION, 'host/kube-apiserver');
    }
    await eventually('host API server back', async () => (await host.requestText('GET', '/readyz')).trim() === 'ok', 120_000);
    // Custom resources come back a moment after /readyz (429 "storage is (re)initializing" meanwhile).
    await eventually('custom resources served again', async () => !!(await host.list('/apis/core.kubefed.io/v1beta1/kubefedclusters')), 60_000);
    await cm('after');
    await host.delete(`/api/v1/namespaces/${NS}/configmaps/before`);
    await eventually('informer sees the changes made after the restart', async () => inf.get(`${NS}/after`) !== undefined && inf.get(`${NS}/before`) === undefined, 60_000);
    expect(deleted).toEqual(['before']);
    expect(inf.stats.errors + inf.stats.watches).toBeGreaterThan(1);
    await inf.stop();
  });
});
