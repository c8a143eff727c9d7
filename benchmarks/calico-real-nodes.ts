// Real Calico (built from source) on 1, 2, 3… real nodes: time from applying
// the rewritten official manifest to NetworkPolicies enforced, per node count.
// Each count gets its own one-member federation (member-1 with that many real
// nodes, no KWOK nodes), started and stopped here; needs root, like the real
// nodes. The namespace's NetworkPolicies (default deny, and an allow rule for
// role=client) are created with the install; pods need Calico's CNI to be
// policed, so a server on the last node and two callers on the first are
// created once calico-node is Ready on every node. Times, from the apply:
//   ready     calico-node Ready on every node (the tactic's verify, polled every 0.5 s)
//   enforced  the allowed caller reaches the server and the other one does not (pods started, Felix programmed)
// and, once enforced, a policy change: the allow rule deleted, until the allowed caller is refused too.
//
//   node dist/benchmarks/calico-real-nodes.js [--real-nodes 1,2,3]
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../controller/logger.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { sleep } from '../kube-client/wait.js';
import { down, up } from '../local-federation/launcher.js';
import { CalicoReconfigurator } from '../reconfigurators/calico/reconfigurator.js';
import { probeThenReconfigure } from '../reconfigurators/run.js';
import type { MemberContext } from '../reconfigurators/types.js';

const run = promisify(execFile);
const i = process.argv.indexOf('--real-nodes');
const counts = (i > 0 ? process.argv[i + 1]! : '1,2,3').split(',').map(Number);
const INSTANCE = 'benchcalreal';
const NS = 'bench-calico';
type Pod = KubeObject & { status: { podIP?: string; conditions?: Array<{ type: string; status: string }> } };
const ready = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 500): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const rows = [];
for (const n of counts) {
  process.stderr.write(`benchmark: member-1 with ${n} real node(s)...\n`);
  const state = await up({ instance: INSTANCE, members: 1, nodesPerMember: 0, realNode: 'on', realNodes: n, hostNode: false, quiet: true });
  const m1 = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.name === 'member-1')!.kubeconfig);
  const kubeconfig = state.clusters.find((c) => c.name === 'member-1')!.kubeconfig;
  try {
    if (!state.calico) throw new Error('the federation has no Calico built from source');
    const nodes = state.realNodes!.filter((x) => x.member === 'member-1');
    const ctx: MemberContext = {
      cluster: 'member-1', annotations: {}, client: m1, log: createLogger('warn'), signal: new AbortController().signal,
      options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 }, now: () => new Date(), event: () => undefined,
    };
    const feature = {
      name: 'networkpolicy' as const,
      calico: { manifestURL: `file://${state.calico.manifest}`, imageRegistry: state.calico.imageRegistry, poolCIDR: state.realNetwork?.clusterCidr },
    };
    const reaches = async (from: string, ip: string): Promise<boolean> => {
      try {
        const { stdout } = await run(path.join(state.binDir, 'kubectl'), ['--kubeconfig', kubeconfig, '-n', NS, 'exec', from, '--', 'sh', '-c',
          `printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 8080`], { timeout: 15_000 });
        return stdout.startsWith('HTTP/1.1 200');
      } catch {
        return false;
      }
    };
    const pod = (name: string, nodeName: string, labels: Record<string, string>) => m1.post(`/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
      spec: {
        nodeName, terminationGracePeriodSeconds: 0,
        containers: [{ name: 'web', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', 'mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www'],
          readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 } }],
      },
    });
    const policy = (name: string, spec: Record<string, unknown>) => m1.post(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`, {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec,
    });
    const tactic = new CalicoReconfigurator();

    const t0 = performance.now();
    await probeThenReconfigure(tactic, ctx, feature);
    const applied = performance.now();
    await m1.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await policy('default-deny', { podSelector: {}, policyTypes: ['Ingress'] });
    await policy('allow-clients', {
      podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
    });
    await until('calico-node Ready on every node', async () => (await tactic.probe(ctx)).state === 'Supported', 600_000);
    const readyAt = performance.now();
    await pod('allowed', nodes[0]!.nodeName, { role: 'client' });
    await pod('other', nodes[0]!.nodeName, { role: 'other' });
    await pod('server', nodes[nodes.length - 1]!.nodeName, { app: 'web' });
    const ip = await until('server Ready', async () => {
      const ps = await Promise.all(['allowed', 'other', 'server'].map((x) => m1.get<Pod>(`/api/v1/namespaces/${NS}/pods/${x}`)));
      return ps.every(ready) ? ps[2]!.status.podIP : undefined;
    }, 180_000);
    const podsReady = performance.now();
    await until('policies enforced', async () => (await reaches('allowed', ip!)) && !(await reaches('other', ip!)), 180_000, 200);
    const enforced = performance.now();
    await m1.delete(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies/allow-clients`);
    const changed = performance.now();
    await until('allow rule removed', async () => !(await reaches('allowed', ip!)), 120_000, 200);
    const changeEnforced = performance.now();

    await m1.delete(`/api/v1/namespaces/${NS}`);
    await until('namespace gone', async () => (await m1.getOptional(`/api/v1/namespaces/${NS}`)) === undefined, 180_000);
    const r0 = performance.now();
    await tactic.revert(ctx, feature);
    const reverted = performance.now();
    const s = (a: number, b: number) => +((b - a) / 1000).toFixed(1);
    rows.push({
      realNodes: n, applySeconds: s(t0, applied), readySeconds: s(t0, readyAt), podsReadySeconds: s(t0, podsReady), enforcedSeconds: s(t0, enforced),
      policyChangeSeconds: s(changed, changeEnforced), revertSeconds: s(r0, reverted),
    });
    process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
  } finally {
    m1.close();
    await down(INSTANCE, { purge: true, quiet: true });
  }
}
console.table(rows);
console.log(JSON.stringify(rows));
