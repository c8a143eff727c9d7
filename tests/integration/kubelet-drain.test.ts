// spec.rollout.drainNodes on member-1's real nodes: each node is cordoned and
// its pods evicted through the Eviction API before its kubelet restarts, a
// PodDisruptionBudget that refuses holds the drain (EvictionBlocked) until it
// allows, and the node is uncordoned after its kubelet is verified — or when
// the drain fails. Runs with member-1's least-privilege registration and ends
// with every kubelet back on its own configuration and every node schedulable.
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { accessFor } from '../../reconfigurators/access.js';
import { KubeletConfigReconfigurator } from '../../reconfigurators/kubelet-config/reconfigurator.js';
import { CORDONED_ANNOTATION } from '../../reconfigurators/kubelet-config/drain.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { adminClient, describeRealNode, eventually, joinedClient, memberContext, type JoinedClient } from './federation.js';

const NS = 'kubelet-drain-test';
type Node = KubeObject & { spec?: { unschedulable?: boolean } };
type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: Array<{ type: string; status: string }> } };

describeRealNode('kubelet tactic with drainNodes on the real nodes', (_first, all) => {
  let member: KubeClient;
  let joined: JoinedClient;
  let ctx: MemberContext;
  const events: string[] = [];
  const progress: string[] = [];
  const names = all.map((n) => n.nodeName);
  // containerLogMaxFiles: cheap to change (the kubelet's default is 5, so 4 and 7 differ from it).
  // Short deadlines: the failing case gives up after 8 s; the passing one is released well before 60 s.
  const tactic = (drainTimeoutSeconds: number) => new KubeletConfigReconfigurator({ agentTimeoutSeconds: 90, nodeReadyTimeoutSeconds: 120, drain: { drainTimeoutSeconds, evictionRetrySeconds: 1 } });
  const feature = (files: number) => ({ name: 'kubelet' as const, kubelet: { containerLogMaxFiles: files }, drainNodes: true });
  const nodes = async () => (await member.list<Node>('/api/v1/nodes')).items.filter((n) => names.includes(n.metadata.name));
  const pdbPath = `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/web`;
  const webPod = async () => eventually('the web pod Ready', async () => {
    const ps = (await member.list<Pod>(`/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: 'app=web' } })).items;
    return ps.find((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }, 90_000);

  beforeAll(async () => {
    member = await adminClient('member-1');
    joined = await joinedClient('member-1');
    ctx = { ...(await memberContext('member-1', joined.client, events)), progress: (m) => void progress.push(m) };
    ctx.options.simulatedNodeAnnotation = 'kwok.x-k8s.io/node=fake';
    await member.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject, 'fedfeat-test');
    // One replica (KWOK nodes are tainted, so it lands on a real node) and a budget that allows no disruption.
    await member.post(`/apis/apps/v1/namespaces/${NS}/deployments`, {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: {
        replicas: 1, selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 0,
            // On the first node in rollout (name) order, so the failing case restarts no kubelet before it stops.
            affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [[...names].sort()[0]!] }] } }] } },
            containers: [{ name: 'web', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', 'echo ok > /tmp/i && httpd -f -p 8080 -h /tmp'], readinessProbe: { httpGet: { path: '/i', port: 8080 }, periodSeconds: 1 } }],
          },
        },
      },
    });
    await member.post(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await webPod();
  });

  afterAll(async () => {
    // Whatever happened: kubelets back to their own files, nodes schedulable, the test's objects gone.
    await tactic(60).revert(ctx).catch(() => undefined);
    for (const n of await nodes()) {
      if (n.metadata.annotations?.[CORDONED_ANNOTATION]) await member.mergePatch(`/api/v1/nodes/${n.metadata.name}`, { metadata: { annotations: { [CORDONED_ANNOTATION]: null } }, spec: { unschedulable: null } });
    }
    await member.delete(`/api/v1/namespaces/${NS}`);
    member.close();
    joined.client.close();
  });

  it('stops at a budget that never allows the eviction, and uncordons the node it cordoned', async () => {
    const hosting = (await webPod()).spec!.nodeName!;
    const t0 = Date.now();
    // The first node in rollout order hosts the pod: the rollout stops there, before any kubelet restart.
    expect(hosting).toBe([...names].sort()[0]);
    await expect(probeThenReconfigure(tactic(8), ctx, feature(4))).rejects.toThrow(new RegExp(`node ${hosting} not drained within 8s: eviction of ${NS}/web-[a-z0-9-]+ \\(Cannot evict pod as it would violate the pod's disruption budget.*still refused by a PodDisruptionBudget`));
    expect(Date.now() - t0).toBeLessThan(120_000);
    expect(events.some((e) => e.startsWith(`Warning EvictionBlocked node ${hosting}: eviction of ${NS}/web-`))).toBe(true);
    expect(events.some((e) => e.startsWith(`Warning DrainUndone node ${hosting}`))).toBe(true);
    expect(events).toContain(`Normal NodeUncordoned node ${hosting}: uncordoned (its reconfiguration failed)`);
    for (const n of await nodes()) expect([n.metadata.name, n.spec?.unschedulable ?? false, n.metadata.annotations?.[CORDONED_ANNOTATION]]).toEqual([n.metadata.name, false, undefined]);
    // The pod was never evicted.
    expect((await webPod()).spec!.nodeName).toBe(hosting);
  }, 180_000);

  it('cordons, waits on the budget, evicts once it allows, restarts, verifies and uncordons every node', async () => {
    events.length = 0;
    progress.length = 0;
    const hosting = (await webPod()).spec!.nodeName!;
    let failed: Error | undefined;
    const run = probeThenReconfigure(tactic(60), ctx, feature(7));
    run.catch((e: Error) => void (failed = e));
    // While the budget refuses: the node is cordoned, the refusal is an Event, the pod still runs there.
    await eventually('the eviction refused by the budget', async () => {
      if (failed) throw new Error(`the rollout ended before: ${failed.message}; events: ${events.join(' | ')}`);
      return events.some((e) => e.startsWith(`Warning EvictionBlocked node ${hosting}`));
    }, 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\nevents: ${events.join(' | ')}`);
    });
    const cordoned = (await member.get<Node>(`/api/v1/nodes/${hosting}`));
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(cordoned.metadata.annotations?.[CORDONED_ANNOTATION]).toBe('kubelet-config');
    expect(progress.some((p) => p.includes(`node ${hosting}: eviction of ${NS}/web-`))).toBe(true);
    // The budget allows one disruption now: the eviction goes through on the next try.
    await member.mergePatch(pdbPath, { spec: { minAvailable: 0 } });
    const out = await run;
    expect(out.message).toContain(`${names.length} nodes reconfigured, 1 at a time, each drained first`);
    // Every node went cordon → drained → kubelet restarted → uncordon, in that order.
    for (const n of names) {
      const at = (reason: string) => events.findIndex((e) => e.includes(` ${reason} node ${n}:`));
      const order = ['NodeCordoned', 'NodeDrained', 'NodeReconfigured', 'NodeUncordoned'].map(at);
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    }
    expect(events.find((e) => e.includes(`NodeDrained node ${hosting}:`))).toMatch(new RegExp(`1 pods evicted .*\\(${NS}/web-`));
    // The Deployment has its pod Ready again, and every node is schedulable again.
    await webPod();
    for (const n of await nodes()) expect([n.metadata.name, n.spec?.unschedulable ?? false, n.metadata.annotations?.[CORDONED_ANNOTATION]]).toEqual([n.metadata.name, false, undefined]);
    expect((await tactic(60).probe(ctx, feature(7))).state).toBe('Supported');
  }, 240_000);

  it('asked the member only what the kubelet tactic\'s enforce role allows', () => {
    expect(joined.requests.some((q) => q.subresource === 'eviction')).toBe(true);
    expect(joined.notAllowedBy(accessFor('enforce', ['kubelet']))).toEqual([]);
  });
});
