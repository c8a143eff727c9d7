// The kubelet tactic's rollout order on tens of KWOK nodes of a real member
// API server. KWOK nodes have no kubelet: the agent pods are real pods that
// KWOK marks Running, and the agent's effect on the node is SIMULATED (an
// annotation holding the node's "config"), which is allowed in these ordering
// tests only; the real-node tests (kubelet.test.ts) show the real effect.
import { createLogger } from '../../controller/logger.js';
import type { KubeClient, KubeObject, WatchEvent } from '../../kube-client/client.js';
import { kwokNode } from '../../local-federation/kwok-nodes.js';
import { KubeletConfigReconfigurator } from '../../reconfigurators/kubelet-config/reconfigurator.js';
import { SIMULATE_FAILURE_ANNOTATION, SIMULATED_CONFIG_ANNOTATION, SimulatedKubelets } from '../support/simulated-kubelets.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { adminClient, eventually } from './federation.js';
import { heldByJoin } from '../../reconfigurators/rbac.js';
import { sleep } from '../../kube-client/wait.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';

const MEMBER = 'member-3';
const EXTRA = 20; // + the member's own 5 KWOK nodes
const FAKE = 'kwok.x-k8s.io/node=fake';

describe('kubelet rollout order on KWOK nodes (simulated agent effect)', () => {
  let m: KubeClient;
  let ctx: MemberContext;
  const events: string[] = [];
  const r = new KubeletConfigReconfigurator({ agentTimeoutSeconds: 30, nodeReadyTimeoutSeconds: 60 }, new SimulatedKubelets(FAKE));
  const extra = Array.from({ length: EXTRA }, (_, i) => 100 + i);
  const feature = (max: number) => ({ name: 'kubelet' as const, kubelet: { containerLogMaxFiles: 3 }, maxUnavailableNodes: max });

  /** Agent pods as they come and go: creation order, and the most alive at once. */
  async function observe<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: Error; order: string[]; maxAlive: number; alive: Set<string> }> {
    const alive = new Set<string>();
    const order: string[] = [];
    let maxAlive = 0;
    const abort = new AbortController();
    const list = await m.list<KubeObject>('/api/v1/namespaces/fedfeat-node-agent/pods').catch(() => ({ metadata: { resourceVersion: '' }, items: [] as KubeObject[] }));
    const watching = m.watch<KubeObject & { spec: { nodeName: string } }>('/api/v1/namespaces/fedfeat-node-agent/pods', { resourceVersion: list.metadata.resourceVersion || undefined }, (e: WatchEvent<KubeObject & { spec: { nodeName: string } }>) => {
      if (e.type === 'ADDED') {
        alive.add(e.object.metadata.name);
        order.push(e.object.spec.nodeName);
        maxAlive = Math.max(maxAlive, alive.size);
      } else if (e.type === 'DELETED') alive.delete(e.object.metadata.name);
    }, abort.signal).catch(() => undefined);
    let value: T | undefined;
    let error: Error | undefined;
    try {
      value = await fn();
    } catch (e) {
      error = e as Error;
    }
    await sleep(1000);
    abort.abort();
    await watching;
    return { value, error, order, maxAlive, alive };
  }

  beforeAll(async () => {
    m = await adminClient(MEMBER);
    ctx = {
      cluster: MEMBER, annotations: {}, client: m, log: createLogger('warn'), signal: new AbortController().signal,
      options: { nodeProbeConcurrency: 8, requestTimeoutMs: 10_000, simulatedNodeAnnotation: FAKE },
      now: () => new Date(), event: (type, reason, message) => void events.push(`${type} ${reason} ${message}`),
    };
    for (const i of extra) await m.post('/api/v1/nodes', kwokNode(MEMBER, i, 'v1.34.4'));
    await eventually('extra KWOK nodes Ready', async () => {
      const nodes = await m.list<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>('/api/v1/nodes', { query: { labelSelector: 'fedfeat.io/node-kind=kwok' } });
      return nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >= EXTRA + 5;
    }, 120_000);
  });

  afterAll(async () => {
    for (const i of extra) await m.delete(`/api/v1/nodes/${MEMBER}-kwok-${i}`);
    const nodes = await m.list<KubeObject>('/api/v1/nodes');
    for (const n of nodes.items) {
      if (n.metadata.annotations?.[SIMULATED_CONFIG_ANNOTATION] || n.metadata.annotations?.[SIMULATE_FAILURE_ANNOTATION]) {
        await m.mergePatch(`/api/v1/nodes/${n.metadata.name}`, { metadata: { annotations: { [SIMULATED_CONFIG_ANNOTATION]: null, [SIMULATE_FAILURE_ANNOTATION]: null } } });
      }
    }
    // Not the namespace itself: fedfeat join holds it (its Role for the agent pods is in there).
    if (heldByJoin(await m.getOptional('/api/v1/namespaces/fedfeat-node-agent'))) {
      await m.delete('/apis/networking.k8s.io/v1/namespaces/fedfeat-node-agent/networkpolicies/kubelet-agent-deny-ingress');
      await m.apply('/api/v1/namespaces/fedfeat-node-agent', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fedfeat-node-agent' } }, 'fedfeat-kubelet-config');
    } else await m.delete('/api/v1/namespaces/fedfeat-node-agent');
    m.close();
  });

  it('stops at the first node that fails, touching no node after it', async () => {
    const victim = `${MEMBER}-kwok-105`;
    await m.mergePatch(`/api/v1/nodes/${victim}`, { metadata: { annotations: { [SIMULATE_FAILURE_ANNOTATION]: 'true' } } });
    const run = await observe(() => probeThenReconfigure(r, ctx, feature(1)));
    expect(run.error?.message).toMatch(new RegExp(`stopped after \\d+ nodes: node ${victim}: simulated kubelet did not come back healthy`));
    const sorted = [...run.order].sort();
    expect(run.order).toEqual(sorted); // name order
    expect(run.order.at(-1)).toBe(victim); // nothing after the failure
    expect(run.maxAlive).toBe(1);
    expect(run.alive.size).toBe(0); // agent pods removed
    await m.mergePatch(`/api/v1/nodes/${victim}`, { metadata: { annotations: { [SIMULATE_FAILURE_ANNOTATION]: null } } });
  });

  it('goes on from where it stopped, never more than maxUnavailableNodes at once, and cleans up', async () => {
    const before = await r.probe(ctx, feature(3));
    const remaining = (before.nodes ?? []).filter((n) => n.state === 'mismatch').length;
    expect(remaining).toBeGreaterThan(10);
    const run = await observe(() => probeThenReconfigure(r, ctx, feature(3)));
    expect(run.error).toBeUndefined();
    expect(run.order).toHaveLength(remaining); // only the nodes that still differed
    expect(run.maxAlive).toBeLessThanOrEqual(3);
    expect(run.maxAlive).toBeGreaterThan(1);
    expect(run.alive.size).toBe(0);
    expect((await r.probe(ctx, feature(3))).state).toBe('Supported');
  });

  it('re-applies on a node that is replaced (comes back without the setting)', async () => {
    const replaced = `${MEMBER}-kwok-110`;
    await m.delete(`/api/v1/nodes/${replaced}`);
    await m.post('/api/v1/nodes', kwokNode(MEMBER, 110, 'v1.34.4'));
    const probe = await eventually('replaced node seen as differing', async () => {
      const p = await r.probe(ctx, feature(1));
      return p.state === 'Missing' ? p : undefined;
    }, 60_000);
    expect(probe.nodes!.filter((n) => n.state === 'mismatch').map((n) => n.node)).toEqual([replaced]);
    const run = await observe(() => probeThenReconfigure(r, ctx, feature(1)));
    expect(run.order).toEqual([replaced]);
    expect((await r.probe(ctx, feature(1))).state).toBe('Supported');
  });
});
