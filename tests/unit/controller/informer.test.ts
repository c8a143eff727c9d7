import type { KubeClient, KubeList, KubeObject, WatchEvent } from '../../../kube-client/client.js';
import { KubeApiError } from '../../../kube-client/client.js';
import { Informer } from '../../../controller/informer.js';
import { createLogger } from '../../../controller/logger.js';
import { sleep } from '../../../kube-client/wait.js';

const cm = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv } });

/** A client whose list and watch answers are scripted, one per call. */
function scripted(lists: Array<Pick<KubeList, 'metadata' | 'items'> | Error>, watches: Array<Array<WatchEvent> | Error>) {
  const calls = { list: 0, watch: [] as string[] };
  const client = {
    async list() {
      const next = lists[Math.min(calls.list++, lists.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
    async watch(_path: string, query: Record<string, unknown>, onEvent: (e: WatchEvent) => void, signal?: AbortSignal) {
      calls.watch.push(String(query.resourceVersion));
      const next = watches.shift();
      if (!next) return new Promise<void>((r) => signal?.addEventListener('abort', () => r(), { once: true }));
      if (next instanceof Error) throw next;
      for (const e of next) onEvent(e);
    },
  };
  return { client: client as unknown as KubeClient, calls };
}

const until = async (fn: () => boolean) => {
  for (let i = 0; i < 200 && !fn(); i++) await sleep(10);
  expect(fn()).toBe(true);
};

describe('Informer', () => {
  const log = createLogger('error', true);

  it('lists, then resumes watches from the last resourceVersion seen', async () => {
    const { client, calls } = scripted([{ metadata: { resourceVersion: '10' }, items: [cm('a', '5')] }], [
      [{ type: 'ADDED', object: cm('b', '11') }, { type: 'BOOKMARK', object: cm('', '12') }],
    ]);
    const inf = new Informer(client, '/api/v1/configmaps', log, { minBackoffMs: 1 });
    const added: string[] = [];
    inf.addHandlers({ onAdd: (o) => added.push(o.metadata.name) });
    inf.start();
    await inf.waitForSync();
    await until(() => calls.watch.length === 2);
    expect(calls.watch).toEqual(['10', '12']);
    expect(added).toEqual(['a', 'b']);
    await inf.stop();
  });

  it('relists on 410 Gone and tells handlers what changed meanwhile', async () => {
    const gone = { type: 'ERROR', object: { code: 410, message: 'too old resource version' } } as unknown as WatchEvent;
    const { client, calls } = scripted([
      { metadata: { resourceVersion: '10' }, items: [cm('a', '5'), cm('b', '6')] },
      { metadata: { resourceVersion: '50' }, items: [cm('a', '40'), cm('c', '41')] },
    ], [[gone]]);
    const inf = new Informer(client, '/api/v1/configmaps', log, { minBackoffMs: 1 });
    const seen: string[] = [];
    inf.addHandlers({ onAdd: (o) => seen.push(`+${o.metadata.name}`), onUpdate: (_, n) => seen.push(`~${n.metadata.name}`), onDelete: (o) => seen.push(`-${o.metadata.name}`) });
    inf.start();
    await until(() => calls.list === 2 && calls.watch.length === 2);
    expect(inf.stats.relistsAfterGone).toBe(1);
    expect(seen).toEqual(['+a', '+b', '~a', '+c', '-b']);
    expect(inf.list().map((o) => o.metadata.name).sort()).toEqual(['a', 'c']);
    expect(calls.watch.at(-1)).toBe('50');
    await inf.stop();
  });

  it('backs off and relists after errors (an API server that is down)', async () => {
    const down = new Error('connect ECONNREFUSED');
    const { client, calls } = scripted([down, down, { metadata: { resourceVersion: '7' }, items: [cm('a', '7')] }], [new KubeApiError('WATCH', '/x', 500, 'boom', '')]);
    const inf = new Informer(client, '/api/v1/configmaps', log, { minBackoffMs: 1, maxBackoffMs: 5 });
    inf.start();
    await inf.waitForSync();
    await until(() => calls.list >= 4);
    expect(inf.stats.errors).toBeGreaterThanOrEqual(3);
    expect(inf.get('ns/a')?.metadata.resourceVersion).toBe('7');
    await inf.stop();
  });
});
