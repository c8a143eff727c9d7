import type { KubeClient, KubeObject, WatchEvent } from '../../../kube-client/client.js';
import { Informer } from '../../../controller/informer.js';
import { createLogger } from '../../../controller/logger.js';
import { sleep } from '../../../kube-client/wait.js';

const obj = (namespace: string, name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, resourceVersion: rv } });

describe('Informer namespace index', () => {
  it('lists one namespace\'s objects and follows adds, updates and deletes', async () => {
    let emit: ((e: WatchEvent) => void) | undefined;
    const client = {
      list: async () => ({ metadata: { resourceVersion: '1' }, items: [obj('a', 'x', '1'), obj('a', 'y', '1'), obj('b', 'x', '1')] }),
      watch: async (_p: string, _q: unknown, on: (e: WatchEvent) => void, signal?: AbortSignal) => {
        emit = on;
        return new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true }));
      },
    } as unknown as KubeClient;
    const inf = new Informer(client, '/api/v1/configmaps', createLogger('error', true));
    inf.start();
    await inf.waitForSync();
    const names = (ns: string) => inf.listNamespace(ns).map((o) => o.metadata.name).sort();
    expect(names('a')).toEqual(['x', 'y']);
    expect(names('b')).toEqual(['x']);
    expect(names('c')).toEqual([]);
    while (!emit) await sleep(5);
    emit({ type: 'ADDED', object: obj('c', 'z', '2') });
    emit({ type: 'MODIFIED', object: obj('a', 'x', '3') });
    emit({ type: 'DELETED', object: obj('b', 'x', '4') });
    expect(names('c')).toEqual(['z']);
    expect(inf.listNamespace('a').find((o) => o.metadata.name === 'x')!.metadata.resourceVersion).toBe('3');
    expect(names('b')).toEqual([]);
    expect(inf.list()).toHaveLength(3);
    await inf.stop();
  });
});
