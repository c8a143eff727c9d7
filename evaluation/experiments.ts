// The paper's three questions, plus scale, as experiments on the local
// federation. Each returns plain data; report.ts turns it into Markdown and
// charts. They change only the federation the harness started itself, and
// undo what they did.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FeatureConfig } from '../api/featureconfig.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../api/kubefed.js';
import { createLogger } from '../controller/logger.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { calicoLikeManifest } from '../local-federation/calico-standin.js';
import { freePort } from '../local-federation/free-port.js';
import { controllerCommand, controllerKubeconfig, installHostManifests } from '../local-federation/host-install.js';
import { NODE_AGENT_IMAGE } from '../local-federation/images/build-images.js';
import { down, up } from '../local-federation/launcher.js';
import { cpuSeconds, rssMiB } from '../local-federation/proc-stats.js';
import type { FederationState } from '../local-federation/state.js';
import { CalicoReconfigurator } from '../reconfigurators/calico/reconfigurator.js';
import { KubeletConfigReconfigurator } from '../reconfigurators/kubelet-config/reconfigurator.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator } from '../reconfigurators/podpreset/reconfigurator.js';
import type { MemberContext, Reconfigurator } from '../reconfigurators/types.js';
import { disruption, httpLoop, podCreationBurst, type ProbeSample } from './load.js';
import type { ProgressBar } from './progress-bar.js';
import { linearFit, summarize, type Summary } from './stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface EvalContext {
  state: FederationState;
  repeats: number;
  bar: ProgressBar;
}

async function memberContext(state: FederationState, name: string): Promise<MemberContext> {
  const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
  const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, name));
  host.close();
  const client = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.name === name)!.kubeconfig);
  return {
    cluster: name, annotations: kfc.metadata.annotations ?? {}, client, log: createLogger('warn'), signal: new AbortController().signal,
    options: { nodeProbeConcurrency: 8, requestTimeoutMs: 10_000, simulatedNodeAnnotation: 'kwok.x-k8s.io/node=fake' }, event: () => undefined,
  };
}

async function ensureNamespace(c: KubeClient, name: string): Promise<void> {
  await c.apply(`/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject, 'fedfeat-eval');
}

async function deleteNamespace(c: KubeClient, name: string): Promise<void> {
  // Pods bound to no real kubelet (the load pods) would stay Terminating: remove them at once.
  await c.delete(`/api/v1/namespaces/${name}/pods`, { query: { gracePeriodSeconds: 0 } }).catch(() => undefined);
  await c.delete(`/api/v1/namespaces/${name}`);
  await c.waitGone([`/api/v1/namespaces/${name}`], 120_000);
}

async function podReady(c: KubeClient, ns: string, name: string): Promise<KubeObject & { status?: { podIP?: string } }> {
  for (let i = 0; i < 240; i++) {
    const p = await c.get<KubeObject & { status?: { podIP?: string; conditions?: Array<{ type: string; status: string }> } }>(`/api/v1/namespaces/${ns}/pods/${name}`);
    if (p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) return p;
    await sleep(500);
  }
  throw new Error(`pod ${ns}/${name} not Ready after 120 s`);
}

// ---------------------------------------------------------------- experiment 1

export interface OverheadResult {
  admission: { withoutWebhook: Summary; withWebhook: Summary; addedP50Ms: number; addedP99Ms: number; podsPerRun: number; rate: number; repeats: number };
  cpuPinning?: { pinned: Summary; shared: Summary; note: string };
}

export async function overhead(ctx: EvalContext, pods = 300, rate = 100): Promise<OverheadResult> {
  const m = await memberContext(ctx.state, 'member-2');
  const pp = new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, probeImage: 'fedfeat.local/pause:3.10' });
  const without: number[] = [];
  const withHook: number[] = [];
  try {
    // Warm-up: a freshly started API server answers its first few hundred requests slower.
    await ensureNamespace(m.client, 'eval-warmup');
    await podCreationBurst(m.client, 'eval-warmup', 200, rate);
    await deleteNamespace(m.client, 'eval-warmup');
    for (let r = 0; r < ctx.repeats; r++) {
      ctx.bar.note(`overhead: pod admission without the webhook, run ${r + 1}/${ctx.repeats}`);
      await ensureNamespace(m.client, `eval-a-${r}`);
      without.push(...(await podCreationBurst(m.client, `eval-a-${r}`, pods, rate)).latenciesMs);
      await deleteNamespace(m.client, `eval-a-${r}`);
    }
    await pp.reconfigure(m);
    if ((await pp.verify(m, { name: 'podpreset' }, 60_000)).state !== 'Supported') throw new Error('PodPreset webhook not working on member-2');
    for (let r = 0; r < ctx.repeats; r++) {
      ctx.bar.note(`overhead: pod admission with the webhook, run ${r + 1}/${ctx.repeats}`);
      const ns = `eval-b-${r}`;
      await ensureNamespace(m.client, ns);
      await m.client.post(`/apis/settings.k8s.io/v1alpha1/namespaces/${ns}/podpresets`, {
        apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'db' },
        spec: { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'DB_PORT', value: '6379' }] },
      });
      await sleep(1500);
      withHook.push(...(await podCreationBurst(m.client, ns, pods, rate)).latenciesMs);
      await deleteNamespace(m.client, ns);
    }
  } finally {
    await pp.revert(m).catch(() => undefined);
  }
  ctx.bar.step('overhead: pod admission done');
  const a = summarize(without);
  const b = summarize(withHook);
  const result: OverheadResult = {
    admission: { withoutWebhook: a, withWebhook: b, addedP50Ms: b.p50 - a.p50, addedP99Ms: b.p99 - a.p99, podsPerRun: pods, rate, repeats: ctx.repeats },
  };
  m.client.close();
  if (ctx.state.realNode) result.cpuPinning = await cpuPinning(ctx);
  ctx.bar.step('overhead: CPU pinning done');
  return result;
}

/** A CPU-bound loop timed per iteration, pinned (static policy, Guaranteed pod) vs shared, with a CPU hog beside them. */
async function cpuPinning(ctx: EvalContext): Promise<OverheadResult['cpuPinning']> {
  const m = await memberContext(ctx.state, 'member-1');
  const node = ctx.state.realNode!.nodeName;
  const kl = new KubeletConfigReconfigurator();
  const feature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'static' as const } };
  const ns = 'eval-cpu';
  const script = 'const out=[];for(let r=0;r<' + (60 * ctx.repeats) + ';r++){const t=performance.now();let x=0;for(let i=0;i<3e6;i++)x+=Math.sqrt(i);out.push(performance.now()-t)}console.log(JSON.stringify(out))';
  const pod = (name: string, cpu?: string, cmd?: string[]) => m.client.post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      nodeName: node, restartPolicy: 'Never', terminationGracePeriodSeconds: 0,
      containers: [{ name, image: NODE_AGENT_IMAGE, command: cmd ?? ['/usr/local/bin/node', '-e', script], ...(cpu ? { resources: { requests: { cpu, memory: '128Mi' }, limits: { cpu, memory: '128Mi' } } } : {}) }],
    },
  });
  try {
    ctx.bar.note('overhead: static CPU manager policy on the real node');
    await kl.reconfigure(m, feature);
    await ensureNamespace(m.client, ns);
    await pod('hog', undefined, ['/usr/local/bin/node', '-e', 'for(;;){}']);
    const results: Record<string, number[]> = {};
    for (const [name, cpu] of [['pinned', '1'], ['shared', undefined]] as const) {
      ctx.bar.note(`overhead: CPU-bound loop, ${name}`);
      await pod(name, cpu);
      let log = '';
      for (let i = 0; i < 600 && !log.trim().startsWith('['); i++) {
        await sleep(1000);
        log = await m.client.requestText('GET', `/api/v1/namespaces/${ns}/pods/${name}/log`).catch(() => '');
      }
      results[name] = JSON.parse(log.trim()) as number[];
    }
    return {
      pinned: summarize(results.pinned!), shared: summarize(results.shared!),
      note: 'iteration time (ms) of a CPU-bound loop while a CPU hog runs in the shared pool; pinned = Guaranteed pod with 1 exclusive CPU under cpuManagerPolicy static set by fedfeat',
    };
  } finally {
    await deleteNamespace(m.client, ns).catch(() => undefined);
    await kl.revert(m).catch(() => undefined);
    m.client.close();
  }
}

// ---------------------------------------------------------------- experiment 2

export interface DisruptionRun {
  mode: string;
  seconds: number;
  ok: number;
  failed: number;
  longestGapMs: number;
  samples: ProbeSample[];
}

export async function disruptionExperiment(ctx: EvalContext): Promise<{ runs: DisruptionRun[]; note: string } | undefined> {
  if (!ctx.state.realNode) return undefined;
  const m = await memberContext(ctx.state, 'member-1');
  const node = ctx.state.realNode.nodeName;
  const ns = 'eval-disruption';
  const runs: DisruptionRun[] = [];
  const kl = new KubeletConfigReconfigurator();
  try {
    await ensureNamespace(m.client, ns);
    await m.client.post(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' },
      spec: {
        nodeName: node, terminationGracePeriodSeconds: 0,
        containers: [{ name: 'web', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', 'echo ok > /tmp/i && httpd -f -p 8080 -h /tmp'], readinessProbe: { httpGet: { path: '/i', port: 8080 }, periodSeconds: 1 } }],
      },
    });
    const ip = (await podReady(m.client, ns, 'web')).status!.podIP!;
    const nodes = (await m.client.list('/api/v1/nodes')).items.length;
    for (const [mode, max] of [['rolling (fedfeat, 1 node at a time)', 1], ['all at once (the paper\'s way)', nodes]] as const) {
      ctx.bar.note(`disruption: kubelet reconfiguration, ${mode}`);
      const loop = httpLoop(ip, 8080, '/i', 20);
      await sleep(2000);
      const t0 = performance.now();
      await kl.reconfigure(m, { name: 'cpumanagementpolicy', kubelet: { cpuManagerPolicy: 'static' }, maxUnavailableNodes: max });
      const seconds = (performance.now() - t0) / 1000;
      await sleep(2000);
      const samples = await loop.stop();
      runs.push({ mode, seconds, ...disruption(samples), samples });
      await kl.revert(m);
      ctx.bar.step(`disruption: ${mode} done`);
    }
  } finally {
    await deleteNamespace(m.client, ns).catch(() => undefined);
    await kl.revert(m).catch(() => undefined);
    m.client.close();
  }
  return { runs, note: 'one real node here: "all at once" and "rolling" restart the same single kubelet; the difference shows only with several real nodes' };
}

// ---------------------------------------------------------------- experiment 3

export interface TimeToReconfigure {
  feature: string;
  member: string;
  seconds: number[];
  summary: Summary;
  note?: string;
}

export async function timeToReconfigure(ctx: EvalContext): Promise<TimeToReconfigure[]> {
  const manifest = calicoLikeManifest();
  const server = http.createServer((_q, res) => res.end(manifest));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/calico.yaml`;
  const cases: Array<{ feature: string; member: string; r: Reconfigurator; f: Parameters<Reconfigurator['probe']>[1]; note?: string }> = [
    { feature: 'podpreset', member: 'member-2', r: new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, probeImage: 'fedfeat.local/pause:3.10' }), f: { name: 'podpreset' } },
    { feature: 'networkpolicy', member: 'member-3', r: new CalicoReconfigurator(), f: { name: 'networkpolicy', calico: { manifestURL: url } }, note: 'Calico stand-in manifest on KWOK nodes (real Calico images cannot be pulled here)' },
  ];
  if (ctx.state.realNode) cases.push({ feature: 'cpumanagementpolicy', member: 'member-1', r: new KubeletConfigReconfigurator(), f: { name: 'cpumanagementpolicy', kubelet: { cpuManagerPolicy: 'static' } }, note: 'one real node' });
  const out: TimeToReconfigure[] = [];
  try {
    for (const c of cases) {
      const m = await memberContext(ctx.state, c.member);
      const seconds: number[] = [];
      try {
        for (let i = 0; i < ctx.repeats; i++) {
          ctx.bar.note(`time to reconfigure: ${c.feature}, run ${i + 1}/${ctx.repeats}`);
          const t0 = performance.now();
          await c.r.reconfigure(m, c.f);
          const v = await c.r.verify(m, c.f, 300_000);
          if (v.state !== 'Supported') throw new Error(`${c.feature} not Supported: ${v.message}`);
          seconds.push((performance.now() - t0) / 1000);
          // A fresh member again for the next run; a revert that is still finishing is waited for once more.
          await c.r.revert(m, c.f).catch(async (e: Error) => {
            ctx.bar.note(`time to reconfigure: ${c.feature}: ${e.message}; waiting once more`);
            await c.r.revert(m, c.f);
          });
          ctx.bar.step(`time to reconfigure: ${c.feature} ${i + 1}/${ctx.repeats}`);
        }
      } finally {
        await c.r.revert(m, c.f).catch(() => undefined);
        m.client.close();
      }
      out.push({ feature: c.feature, member: c.member, seconds, summary: summarize(seconds), ...(c.note ? { note: c.note } : {}) });
    }
  } finally {
    server.close();
  }
  return out;
}

// ---------------------------------------------------------------- scale

export interface ScalePoint {
  members: number;
  applyToAllSupportedSeconds: number;
  controllerCpuSeconds: number;
  controllerRssMiB: number;
}

export interface NodeScalePoint {
  nodes: number;
  probeSeconds: number;
  calicoInstallSeconds: number;
}


/** Members: the controller installs the PodPreset API on every member (all in parallel). */
export async function scaleMembers(ctx: EvalContext, sizes: number[]): Promise<{ points: ScalePoint[]; fit: ReturnType<typeof linearFit> }> {
  const points: ScalePoint[] = [];
  for (const n of sizes) {
    ctx.bar.note(`scale: federation with ${n} members`);
    const state = await up({ instance: 'evalscale', members: n, nodesPerMember: 2, realNode: 'off', quiet: true });
    const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
    let child: ReturnType<typeof spawn> | undefined;
    try {
      installHostManifests(state);
      const port = await freePort();
      const [node, ...args] = controllerCommand(await controllerKubeconfig(state, host), `127.0.0.1:${port}`, 'eval', ['--leader-elect', 'false']);
      const log = openSync(path.join(state.dir, 'logs', 'eval-controller.log'), 'a');
      child = spawn(node!, args, { stdio: ['ignore', log, log] });
      await sleep(3000);
      const cpu0 = cpuSeconds(child.pid!);
      const t0 = performance.now();
      const fcPath = resourcePath('feature.kubefed.io/v1alpha1', 'featureconfigs', undefined, 'eval-scale');
      await host.apply(fcPath, { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: 'eval-scale' }, spec: { podpreset: true, rollout: { maxConcurrentClusters: n } } } as KubeObject, 'fedfeat-eval');
      for (;;) {
        const fc = await host.get<FeatureConfig>(fcPath);
        const supported = (fc.status?.clusters ?? []).filter((c) => c.features.every((f) => f.state === 'Supported') && c.features.length).length;
        if (supported === n) break;
        if (performance.now() - t0 > 900_000) throw new Error(`only ${supported}/${n} members Supported after 15 min`);
        await sleep(250);
      }
      points.push({ members: n, applyToAllSupportedSeconds: (performance.now() - t0) / 1000, controllerCpuSeconds: cpuSeconds(child.pid!) - cpu0, controllerRssMiB: rssMiB(child.pid!) });
    } finally {
      child?.kill('SIGTERM');
      host.close();
      await down('evalscale', { purge: true, quiet: true });
    }
    ctx.bar.step(`scale: ${n} members done`);
  }
  return { points, fit: linearFit(points.map((p) => p.members), points.map((p) => p.applyToAllSupportedSeconds)) };
}

/** Nodes per member: probing every node and installing Calico (stand-in) on 1 member with N KWOK nodes. */
export async function scaleNodes(ctx: EvalContext, sizes: number[]): Promise<{ points: NodeScalePoint[]; fit: ReturnType<typeof linearFit> }> {
  const manifest = calicoLikeManifest();
  const server = http.createServer((_q, res) => res.end(manifest));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/calico.yaml`;
  const points: NodeScalePoint[] = [];
  try {
    for (const n of sizes) {
      ctx.bar.note(`scale: member with ${n} KWOK nodes`);
      const state = await up({ instance: 'evalnodes', members: 1, nodesPerMember: n, realNode: 'off', quiet: true });
      const m = await memberContext(state, 'member-1');
      try {
        const calico = new CalicoReconfigurator();
        const f = { name: 'networkpolicy' as const, calico: { manifestURL: url } };
        const kl = new KubeletConfigReconfigurator();
        const p0 = performance.now();
        await kl.probe(m, { name: 'cpumanagementpolicy', kubelet: { cpuManagerPolicy: 'static' } });
        const probeSeconds = (performance.now() - p0) / 1000;
        const t0 = performance.now();
        await calico.reconfigure(m, f);
        const v = await calico.verify(m, f, 600_000);
        if (v.state !== 'Supported') throw new Error(`Calico not Ready on ${n} nodes: ${v.message}`);
        points.push({ nodes: n, probeSeconds, calicoInstallSeconds: (performance.now() - t0) / 1000 });
      } finally {
        m.client.close();
        await down('evalnodes', { purge: true, quiet: true });
      }
      ctx.bar.step(`scale: ${n} nodes done`);
    }
  } finally {
    server.close();
  }
  return { points, fit: linearFit(points.map((p) => p.nodes), points.map((p) => p.calicoInstallSeconds)) };
}
