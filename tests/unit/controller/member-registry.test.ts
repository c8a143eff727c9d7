import { nextHealth } from '../../../controller/member-registry.js';

describe('member health hysteresis', () => {
  const start = { ready: true, offline: false, consecutiveFailures: 0, consecutiveSuccesses: 0 };
  const o = { failureThreshold: 3, successThreshold: 2 };
  it('goes Offline only after failureThreshold failures in a row', () => {
    let h = start;
    h = nextHealth(h, { ok: false, reachable: false }, o);
    h = nextHealth(h, { ok: false, reachable: false }, o);
    expect(h.ready).toBe(true);
    h = nextHealth(h, { ok: false, reachable: false }, o);
    expect(h).toMatchObject({ ready: false, offline: true });
  });
  it('a success resets the failure count', () => {
    let h = nextHealth(nextHealth(start, { ok: false, reachable: false }, o), { ok: false, reachable: false }, o);
    h = nextHealth(h, { ok: true, reachable: true }, o);
    h = nextHealth(h, { ok: false, reachable: false }, o);
    expect(h).toMatchObject({ ready: true, consecutiveFailures: 1 });
  });
  it('an answering but unhealthy API server is not Ready and not Offline', () => {
    let h = start;
    for (let i = 0; i < 3; i++) h = nextHealth(h, { ok: false, reachable: true }, o);
    expect(h).toMatchObject({ ready: false, offline: false });
  });
  it('comes back only after successThreshold successes', () => {
    let h = { ready: false, offline: true, consecutiveFailures: 5, consecutiveSuccesses: 0 };
    h = nextHealth(h, { ok: true, reachable: true }, o);
    expect(h.ready).toBe(false);
    h = nextHealth(h, { ok: true, reachable: true }, o);
    expect(h).toMatchObject({ ready: true, offline: false });
  });
});

import type { KubeFedCluster } from '../../../api/kubefed.js';
import type { KubeClient, KubeObject } from '../../../kube-client/client.js';
import type { Informer, InformerHandlers } from '../../../controller/informer.js';
import { createLogger } from '../../../controller/logger.js';
import { MemberRegistry } from '../../../controller/member-registry.js';

/** A cache standing in for an informer: the registry reads get/list and listens through handlers. */
class FakeInformer<T extends KubeObject> {
  readonly store = new Map<string, T>();
  readonly handlers: InformerHandlers<T>[] = [];
  gets = 0;
  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }
  get(key: string): T | undefined {
    this.gets++;
    return this.store.get(key);
  }
  list(): T[] {
    return [...this.store.values()];
  }
  put(obj: T): void {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const old = this.store.get(key);
    this.store.set(key, obj);
    for (const h of this.handlers) (old ? h.onUpdate?.(old, obj) : h.onAdd?.(obj));
  }
  remove(ns: string, name: string): void {
    const old = this.store.get(`${ns}/${name}`);
    this.store.delete(`${ns}/${name}`);
    if (old) for (const h of this.handlers) h.onDelete?.(old);
  }
}

describe('MemberRegistry sync', () => {
  const NS = 'kube-federation-system';
  let rv = 0;
  const kfc = (name: string, secret = `${name}-token`, labels: Record<string, string> = {}): KubeFedCluster => ({
    apiVersion: 'core.kubefed.io/v1beta1', kind: 'KubeFedCluster',
    metadata: { name, namespace: NS, labels, resourceVersion: String(++rv) },
    // Port 9 on loopback refuses at once: probes fail fast and nothing leaves the machine.
    spec: { apiEndpoint: 'https://127.0.0.1:9', secretRef: { name: secret } },
  });
  const secret = (name: string, token: string) => ({
    apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS, resourceVersion: String(++rv) },
    data: { token: Buffer.from(token).toString('base64') },
  });

  function registry() {
    const clusters = new FakeInformer<KubeFedCluster>();
    const secrets = new FakeInformer<KubeObject & { data?: Record<string, string> }>();
    const host = { apply: async () => ({}) } as unknown as KubeClient; // status writes go nowhere
    const reg = new MemberRegistry(host, clusters as unknown as Informer<KubeFedCluster>, secrets as unknown as Informer<KubeObject>,
      createLogger('error', true), { periodMs: 3_600_000, timeoutMs: 500, failureThreshold: 1, successThreshold: 1 });
    const changes: string[] = [];
    reg.onChange((name, why) => changes.push(`${name}: ${why}`));
    return { clusters, secrets, reg, changes };
  }

  it('builds a member once its Secret arrives and rebuilds only the members that use a changed Secret', () => {
    const { clusters, secrets, reg, changes } = registry();
    try {
      reg.start();
      clusters.put(kfc('a'));
      expect(reg.get('a')?.configError).toMatch(/Secret kube-federation-system\/a-token not found/);
      secrets.put(secret('a-token', 't1'));
      expect(reg.get('a')?.client).toBeDefined();
      expect(reg.get('a')?.configError).toBeUndefined();
      clusters.put(kfc('b', 'shared'));
      clusters.put(kfc('c', 'shared'));
      secrets.put(secret('shared', 't2'));
      const clientA = reg.get('a')!.client;
      changes.length = 0;
      secrets.put(secret('shared', 't3'));
      expect(changes.sort()).toEqual(['b: registration changed', 'c: registration changed']);
      expect(reg.get('a')!.client).toBe(clientA);
      // b moves to its own Secret: a later change of "shared" concerns c only.
      clusters.put(kfc('b', 'b-own'));
      changes.length = 0;
      secrets.put(secret('shared', 't4'));
      expect(changes).toEqual(['c: registration changed']);
    } finally {
      reg.stop();
    }
  });

  it('touches only the member an event is about, however many are registered', () => {
    const { clusters, secrets, reg, changes } = registry();
    try {
      for (let i = 0; i < 200; i++) {
        secrets.put(secret(`m${i}-token`, `t${i}`));
        clusters.put(kfc(`m${i}`));
      }
      reg.start();
      expect(reg.list()).toHaveLength(200);
      const before = secrets.gets;
      changes.length = 0;
      clusters.put(kfc('m7', 'm7-token', { zone: 'b' }));
      expect(changes).toEqual(['m7: labels changed']);
      expect(secrets.gets - before).toBe(1);
      clusters.remove(NS, 'm8');
      expect(reg.get('m8')).toBeUndefined();
      expect(reg.list()).toHaveLength(199);
      expect(changes).toEqual(['m7: labels changed', 'm8: unregistered']);
    } finally {
      reg.stop();
    }
  });
});
