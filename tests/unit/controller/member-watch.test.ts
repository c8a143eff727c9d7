import { lastManager } from '../../../controller/member-watch.js';

describe('lastManager', () => {
  it('names the field manager of the newest managedFields entry', () => {
    expect(lastManager({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x', managedFields: [
      { manager: 'kubectl', time: '2026-01-01T00:00:00Z' },
      { manager: 'gke-upgrade', time: '2026-01-02T00:00:00Z' },
      { manager: 'fedfeat', time: '2026-01-01T12:00:00Z' },
    ] } })).toBe('gke-upgrade');
    expect(lastManager({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } })).toBeUndefined();
  });
});

import type { KubeClient, KubeObject, WatchEvent } from '../../../kube-client/client.js';
import { PARTIAL_METADATA, PARTIAL_METADATA_LIST } from '../../../kube-client/client.js';
import { createLogger } from '../../../controller/logger.js';
import { MemberWatch } from '../../../controller/member-watch.js';

/** A member API server in memory: lists return nothing, watches stay open until aborted and can be fed events. */
class FakeMemberClient {
  readonly lists: Array<{ path: string; accept?: string }> = [];
  readonly open = new Map<string, { onEvent: (e: WatchEvent) => void; accept?: string }>();
  async list(path: string, opts: { accept?: string }) {
    this.lists.push({ path, accept: opts.accept });
    return { items: [], metadata: { resourceVersion: '1' } };
  }
  watch(path: string, _q: unknown, onEvent: (e: WatchEvent) => void, signal: AbortSignal, accept?: string): Promise<void> {
    this.open.set(path, { onEvent, accept });
    return new Promise<void>((resolve) => signal.addEventListener('abort', () => {
      this.open.delete(path);
      resolve();
    }, { once: true }));
  }
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
};

describe('MemberWatch', () => {
  it('watches metadata only, re-probes on a change, and setKinds starts and stops exactly the kinds that changed', async () => {
    const client = new FakeMemberClient();
    const why: string[] = [];
    const w = new MemberWatch('m1', client as unknown as KubeClient, createLogger('error', true), ['fedfeat-controller'], (y) => why.push(y), ['CustomResourceDefinition']);
    w.start();
    const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    await until(() => client.open.has(CRDS));
    expect(client.lists).toEqual([{ path: CRDS, accept: PARTIAL_METADATA_LIST }]);
    expect(client.open.get(CRDS)!.accept).toBe(PARTIAL_METADATA);

    const crd: KubeObject = { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { name: 'podpresets.settings.k8s.io', resourceVersion: '2', managedFields: [{ manager: 'kubectl', time: '2026-01-01T00:00:00Z' }] } };
    client.open.get(CRDS)!.onEvent({ type: 'DELETED', object: crd });
    expect(why).toEqual([]); // not in the cache: nothing was deleted
    client.open.get(CRDS)!.onEvent({ type: 'ADDED', object: crd });
    expect(why).toEqual(['CustomResourceDefinition podpresets.settings.k8s.io added']);
    expect(w.recentForeignChanges().map((c) => c.manager)).toEqual(['kubectl']);

    await w.setKinds(['Node', 'DaemonSet']);
    expect(w.kinds).toEqual(['Node', 'DaemonSet']);
    await until(() => client.open.has('/api/v1/nodes') && client.open.has('/apis/apps/v1/daemonsets'));
    expect(client.open.has(CRDS)).toBe(false);

    // A Node heartbeat (only resourceVersion and managedFields move) is no change; a new label is.
    const node = (rv: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { name: 'n1', resourceVersion: rv, labels, managedFields: [{ manager: 'kubelet', time: `2026-01-01T00:00:0${rv}Z` }] } });
    why.length = 0;
    client.open.get('/api/v1/nodes')!.onEvent({ type: 'ADDED', object: node('3') });
    client.open.get('/api/v1/nodes')!.onEvent({ type: 'MODIFIED', object: node('4') });
    client.open.get('/api/v1/nodes')!.onEvent({ type: 'MODIFIED', object: node('5', { 'cloud.google.com/gke-nodepool': 'pool-2' }) });
    expect(why).toEqual(['Node n1 added', 'Node n1 modified']);

    await w.setKinds(['Node']);
    expect(client.open.has('/apis/apps/v1/daemonsets')).toBe(false);
    expect(client.open.has('/api/v1/nodes')).toBe(true);
    await w.stop();
    expect(client.open.size).toBe(0);
  });
});
