// The kubelet tactic on the real nodes (member-1): the static CPU manager
// policy applied by the agent pod on each node, one node at a time, each
// kubelet restarted through the node's declared restart method, exclusive CPUs
// for a Guaranteed pod, rollback of a setting the kubelet cannot start with,
// traffic to a pod on the first node during all of it, and revert.
import os from 'node:os';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../../api/kubefed.js';
import { createLogger } from '../../controller/logger.js';
import { disruption, httpLoop } from '../../evaluation/load.js';
import type { KubeClient, KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import { KubeletConfigReconfigurator } from '../../reconfigurators/kubelet-config/reconfigurator.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import { adminClient, describeRealNode, eventually, joinedClient, tacticNamespace, type JoinedClient } from './federation.js';
import { accessFor } from '../../reconfigurators/access.js';
import { probeThenReconfigure } from '../../reconfigurators/run.js';

const NS = 'kubelet-test';

type Pod = KubeObject & { status?: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> } };

// As root the node is required (a missing one fails here); without root this is skipped, saying why.
describeRealNode('kubelet tactic on the real nodes', (real, all) => {
  let member: KubeClient;
  /** The tactic runs as the controller does: with member-1's least-privilege registration (fedfeat join). */
  let joined: JoinedClient;
  let ctx: MemberContext;
  const events: string[] = [];
  const r = new KubeletConfigReconfigurator({ agentTimeoutSeconds: 45, nodeReadyTimeoutSeconds: 120 });
  const node = real.nodeName;
  const configz = async () => (await member.get<{ kubeletconfig: Record<string, unknown> }>(`/api/v1/nodes/${node}/proxy/configz`)).kubeletconfig;
  const pod = (name: string, spec: Record<string, unknown>) => member.post<Pod>(`/api/v1/namespaces/${NS}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { nodeName: node, terminationGracePeriodSeconds: 0, ...spec },
  });
  const running = (name: string) => eventually(`pod ${name} Ready`, async () => {
    const p = await member.get<Pod>(`/api/v1/namespaces/${NS}/pods/${name}`);
    return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
  }, 90_000);

  beforeAll(async () => {
    const host = await adminClient('host');
    const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-1'));
    host.close();
    member = await adminClient('member-1');
    joined = await joinedClient('member-1');
    ctx = {
      cluster: 'member-1', annotations: kfc.metadata.annotations ?? {}, client: joined.client, log: createLogger('warn'), signal: new AbortController().signal,
      options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000, simulatedNodeAnnotation: 'kwok.x-k8s.io/node=fake' },
      now: () => new Date(), event: (type, reason, message) => void events.push(`${type} ${reason} ${message}`),
    };
    await member.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject, 'fedfeat-test');
  });

  afterAll(async () => {
    await r.revert(ctx).catch(() => undefined);
    await member.delete(`/api/v1/namespaces/${NS}`);
    member.close();
    joined.client.close();
  });

  it('sets cpuManagerPolicy static with reserved CPU, one node at a time, without dropping traffic to a pod on the node', async () => {
    expect((await configz()).cpuManagerPolicy).toBe('none');
    const feature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'static' as const } };
    expect(await r.probe(ctx, feature)).toMatchObject({ state: 'Missing', reason: 'KubeletConfigDiffers' });

    // A web server with a readiness probe on the node, hit in a loop from the host (routed into the node's network).
    await pod('web', {
      containers: [{
        name: 'web', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', 'echo ok > /tmp/index.html && httpd -f -p 8080 -h /tmp'],
        readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
      }],
    });
    const ip = (await running('web')).status!.podIP!;
    const loop = httpLoop(ip, 8080, '/index.html', 50);

    const t0 = Date.now();
    const out = await probeThenReconfigure(r, ctx, feature);
    const seconds = (Date.now() - t0) / 1000;
    const { ok, failed, longestGapMs } = disruption(await loop.stop());
    process.stderr.write(`kubelet tactic: node reconfigured in ${seconds.toFixed(1)}s; ${ok} requests ok, ${failed} failed, longest gap ${longestGapMs} ms\n`);
    expect(out.message).toContain(`${all.length} nodes reconfigured, 1 at a time: `);
    for (const n of all) expect(out.message).toContain(n.nodeName);
    expect(failed).toBe(0);
    const live = await configz();
    expect(live.cpuManagerPolicy).toBe('static');
    expect(live.reservedSystemCPUs).toBe('0');
    expect((await r.probe(ctx, feature)).state).toBe('Supported');
    for (const n of all) expect(events.some((e) => e.startsWith(`Normal NodeReconfigured node ${n.nodeName}: applied`))).toBe(true);
    // The agent pod is gone; only the deny-ingress NetworkPolicy stays.
    expect((await member.list('/api/v1/namespaces/fedfeat-node-agent/pods')).items).toEqual([]);
  });

  it('gives a Guaranteed pod with an integer CPU request exclusive CPUs', async () => {
    const cpus = os.cpus().length;
    await pod('pinned', {
      containers: [{
        name: 'pinned', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', 'grep Cpus_allowed_list /proc/self/status; sleep 3600'],
        resources: { requests: { cpu: '1', memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } },
      }],
    });
    await running('pinned');
    const log = await eventually('pinned pod log', async () => {
      const text = await member.requestText('GET', `/api/v1/namespaces/${NS}/pods/pinned/log`);
      return text.includes('Cpus_allowed_list') ? text : undefined;
    }, 30_000);
    const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(log)![1]!;
    // CPU 0 is reserved for the system; the pod gets one other CPU to itself.
    expect(allowed).not.toContain('0');
    expect(allowed).toMatch(/^\d+$/);
    expect(Number(allowed)).toBeLessThan(cpus);
  });

  it('rolls back a setting the kubelet cannot start with, leaving the node healthy with its previous config', async () => {
    const bad = { name: 'kubelet' as const, kubelet: { cpuManagerPolicy: 'static' as const, reservedSystemCPUs: '63' } };
    await expect(probeThenReconfigure(r, ctx, bad)).rejects.toThrow(/previous config restored and the kubelet is healthy again/);
    expect(events.some((e) => e.startsWith(`Warning NodeFailed node ${node}: rolled-back`))).toBe(true);
    await eventually('node Ready with the previous config', async () => {
      const live = await configz();
      return live.cpuManagerPolicy === 'static' && live.reservedSystemCPUs === '0';
    }, 60_000);
  });

  it('refuses a field it cannot apply safely before touching any node', async () => {
    const started = events.length;
    await expect(probeThenReconfigure(r, ctx, { name: 'kubelet', kubelet: { maxPods: 500 } as never })).rejects.toThrow(/maxPods: fedfeat does not change this kubelet field/);
    expect(events.length).toBe(started);
  });

  it('reverts the node to its own configuration', async () => {
    const out = await r.revert(ctx);
    expect(out.message).toContain('restored the original kubelet config on ');
    for (const n of all) expect(out.message).toContain(n.nodeName);
    await eventually('configz back to none', async () => (await configz()).cpuManagerPolicy === 'none', 60_000);
    expect(await tacticNamespace(member, 'fedfeat-node-agent')).toBeUndefined();
  });

  it('asked the member only what the kubelet tactic\'s enforce role allows', () => {
    expect(joined.requests.length).toBeGreaterThan(5);
    expect(joined.notAllowedBy(accessFor('enforce', ['cpumanagementpolicy']))).toEqual([]);
  });
});
