import { describe, expect, it } from '@jest/globals';
import type { ClusterCoordinateObject } from '../../../api/cluster-coordinate.js';
import type { KubeFedCluster } from '../../../api/kubefed.js';
import { CoordinatePublisher } from '../../../controller/coordinate-publisher.js';
import type { Informer } from '../../../controller/informer.js';
import { createLogger } from '../../../controller/logger.js';
import type { KubeClient } from '../../../kube-client/client.js';

/** The host as the publisher sees it: a list of stored objects, and every apply recorded. */
function fakeHost(stored: ClusterCoordinateObject[] = []) {
  const applied: ClusterCoordinateObject[] = [];
  const client = {
    list: async () => ({ items: stored }),
    apply: async (_path: string, obj: ClusterCoordinateObject) => { applied.push(obj); return obj; },
  } as unknown as KubeClient;
  return { client, applied };
}

const clusters = (names: string[]) => ({
  get: (key: string) => {
    const name = key.split('/')[1]!;
    return names.includes(name) ? ({ metadata: { name, namespace: 'kube-federation-system', uid: `uid-${name}` } } as KubeFedCluster) : undefined;
  },
}) as unknown as Informer<KubeFedCluster>;

const log = createLogger('error', true);

describe('CoordinatePublisher', () => {
  it('writes a member’s first estimate, then only when it moved enough and not within 30 s', async () => {
    const host = fakeHost();
    let now = 0;
    const p = new CoordinatePublisher(host.client, clusters(['m1']), log, { fieldManager: 'test' }, () => new Date(now));
    p.sample('m1', 0.02);
    await p.onIdle();
    expect(host.applied).toHaveLength(1);
    expect(host.applied[0]!.metadata.ownerReferences?.[0]?.uid).toBe('uid-m1');
    for (let i = 0; i < 50; i++) { now += 1000; p.sample('m1', 0.02); } // 50 s of probes, converging
    await p.onIdle();
    const writes = host.applied.length;
    expect(writes).toBeGreaterThan(1); // the estimate moved a lot while untrained
    expect(writes).toBeLessThanOrEqual(1 + Math.floor(50 / 30));
    for (let i = 0; i < 200; i++) { now += 1000; p.sample('m1', 0.02); }
    await p.onIdle();
    const settled = host.applied.length;
    for (let i = 0; i < 120; i++) { now += 1000; p.sample('m1', 0.02); } // 2 more minutes, nothing changes
    await p.onIdle();
    expect(host.applied.length).toBe(settled);
  });

  it('a new leader starts from the stored coordinate and does not rewrite it at once', async () => {
    const first = fakeHost();
    let now = 0;
    const a = new CoordinatePublisher(first.client, clusters(['m1']), log, { fieldManager: 'test' }, () => new Date(now));
    for (let i = 0; i < 300; i++) { now += 1000; a.sample('m1', 0.02); }
    await a.onIdle();
    const stored = first.applied.at(-1)!;
    expect(stored.coordinate.error).toBeLessThan(0.2);

    const second = fakeHost([stored]);
    const b = new CoordinatePublisher(second.client, clusters(['m1']), log, { fieldManager: 'test' }, () => new Date(now + 5000));
    await b.restore();
    b.sample('m1', 0.02);
    await b.onIdle();
    expect(second.applied).toHaveLength(0); // 5 s after the last write, and the estimate agrees
    expect(b.coordinates.view('m1')!.coordinate.error).toBeLessThan(0.3); // not relearned from 1.5
  });

  it('writes nothing for a member that is no longer registered, and refuses implausible samples', async () => {
    const host = fakeHost();
    const p = new CoordinatePublisher(host.client, clusters([]), log, { fieldManager: 'test' });
    p.sample('gone', 0.01);
    p.sample('gone', Number.NaN);
    await p.onIdle();
    expect(host.applied).toHaveLength(0);
    expect(p.stats).toMatchObject({ samples: 2, refused: 1 });
  });
});
