// The paper's three questions, plus scale, as experiments on a set of
// clusters (the local federation's members or the user's kubeconfig
// contexts). Each returns plain data; report.ts turns it into Markdown and
// charts. A feature already present on a cluster is left alone; what the
// harness turns on is recorded on the cluster first (journal.ts) and undone.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { DesiredFeature, FeatureConfig } from '../api/featureconfig.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { calicoLikeManifest } from '../local-federation/calico-standin.js';
import { freePort } from '../local-federation/free-port.js';
import { controllerCommand, controllerKubeconfig, installHostManifests } from '../local-federation/host-install.js';
import { down, up } from '../local-federation/launcher.js';
import { cpuSeconds, rssMiB } from '../local-federation/proc-stats.js';
import { CalicoReconfigurator } from '../reconfigurators/calico/reconfigurator.js';
import { KubeletConfigReconfigurator } from '../reconfigurators/kubelet-config/reconfigurator.js';
import { DEFAULT_PODPRESET_OPTIONS, PodPresetReconfigurator } from '../reconfigurators/podpreset/reconfigurator.js';
import type { Reconfigurator } from '../reconfigurators/types.js';
import { deleteEvalNamespace, ensureEvalNamespace, readInstalled, recordInstalling, revertRecorded, type Tactics } from './journal.js';
import { disruption, getLoop, podCreationBurst, type ProbeSample } from './load.js';
import type { ProgressBar } from './progress-bar.js';
import { linearFit, summarize, type Summary } from './stats.js';
import { localMembers, pickWorkNode, type EvalMember } from './targets.js';
import { sleep } from '../kube-client/wait.js';
import { probeThenReconfigure } from '../reconfigurators/run.js';


export interface Skipped {
  experiment: string;
  member: string;
  reason: string;
  /** True when the measurement was attempted and failed (not a feature present already). */
  failed?: boolean;
}

/** Runs one measurement; a failure is recorded (the report keeps the others) instead of ending the run. */
export async function measure<T>(ctx: EvalContext, experiment: string, member: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof Interrupted) throw e;
    ctx.skipped.push({ experiment, member, reason: `failed: ${(e as Error).message}`, failed: true });
    ctx.bar.note(`${experiment} on ${member} failed: ${(e as Error).message}`);
    return undefined;
  }
}

/** Starts a local federation for one scale point; one that fails to start is stopped again. */
async function upForScale(instance: string, members: number, nodesPerMember: number): Promise<Awaited<ReturnType<typeof up>>> {
  try {
    return await up({ instance, members, nodesPerMember, realNode: 'off', quiet: true });
  } catch (e) {
    await down(instance, { purge: true, quiet: true }).catch(() => undefined);
    throw e;
  }
}

export interface EvalContext {
  repeats: number;
  bar: ProgressBar;
  /** Why an experiment did not run on a cluster: reported, never silent. */
  skipped: Skipped[];
}

export const STATIC_CPU: DesiredFeature = { name: 'cpumanagementpolicy', kubelet: { cpuManagerPolicy: 'static' } };

/** The tactics the harness uses, one per feature; Calico from the given manifest URL (default: the official one). */
export function evalTactics(m: EvalMember, calicoManifestURL?: string): Tactics & Required<Pick<Tactics, 'podpreset' | 'cpumanagementpolicy' | 'networkpolicy'>> {
  return {
    podpreset: { r: new PodPresetReconfigurator({ ...DEFAULT_PODPRESET_OPTIONS, probeImage: m.images.pause, ...(m.images.webhook ? { image: m.images.webhook } : {}) }), f: { name: 'podpreset' } },
    cpumanagementpolicy: { r: new KubeletConfigReconfigurator(), f: STATIC_CPU },
    networkpolicy: { r: new CalicoReconfigurator(), f: { name: 'networkpolicy', calico: calicoManifestURL ? { manifestURL: calicoManifestURL } : {} } },
  };
}

/** Turns a feature on (recorded on the cluster first) and waits until it works; refuses once the run is interrupted. */
async function turnOn(m: EvalMember, r: Reconfigurator, f: DesiredFeature, verifyTimeoutMs = 300_000): Promise<void> {
  if (m.interrupted?.aborted) throw new Interrupted();
  await recordInstalling(m.ctx.client, f);
  await probeThenReconfigure(r, m.ctx, f);
  const v = await r.verify(m.ctx, f, verifyTimeoutMs);
  if (v.state !== 'Supported') throw new Error(`${f.name} not Supported on ${m.name} after reconfiguring: ${v.reason}: ${v.message}`);
}

/** Reverts a feature only if the record says the harness turned it on (never what the cluster had or someone else installs). */
async function turnOff(m: EvalMember, r: Reconfigurator, f: DesiredFeature): Promise<void> {
  const recorded = (await readInstalled(m.ctx.client)).find((x) => x.name === f.name);
  if (recorded) await revertRecorded(m.ctx, r, recorded);
}

/** The run was interrupted: no new change starts. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

/** Undefined when the experiment may change the feature; otherwise why not (it is present already, or cannot be). */
async function presentAlready(m: EvalMember, r: Reconfigurator, f: DesiredFeature): Promise<string | undefined> {
  const p = await r.probe(m.ctx, f);
  if (p.state === 'Supported') return `${f.name} is present already (${p.reason}); the harness measures only what it turns on itself and leaves it alone`;
  if (p.state === 'Unknown') return `${f.name} cannot be probed (${p.reason}: ${p.message})`;
  return undefined;
}

async function workNode(m: EvalMember): Promise<{ node?: string; reason: string }> {
  const nodes = await m.ctx.client.list<KubeObject>('/api/v1/nodes');
  return pickWorkNode(nodes.items, m.ctx.options.simulatedNodeAnnotation, m.node);
}

async function podReady(c: KubeClient, ns: string, name: string): Promise<KubeObject & { status?: { podIP?: string } }> {
  for (let i = 0; i < 600; i++) {
    const p = await c.get<KubeObject & { status?: { podIP?: string; phase?: string; conditions?: Array<{ type: string; status: string }> } }>(`/api/v1/namespaces/${ns}/pods/${name}`);
    if (p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) return p;
    if (p.status?.phase === 'Failed') throw new Error(`pod ${ns}/${name} failed`);
    await sleep(500);
  }
  throw new Error(`pod ${ns}/${name} not Ready after 300 s (image pulled? node Ready?)`);
}

// ---------------------------------------------------------------- experiment 1

export interface OverheadResult {
  member: string;
  admission?: { withoutWebhook: Summary; withWebhook: Summary; addedP50Ms: number; addedP99Ms: number; podsPerRun: number; rate: number; repeats: number; dryRun: boolean };
  cpuPinning?: { pinned: Summary; shared: Summary; node: string; note: string };
}

/** Pod admission latency without and with the PodPreset webhook; CPU pinning on a work node (when the cluster has one). */
export async function overhead(ctx: EvalContext, pm: EvalMember | undefined, km: EvalMember | undefined, pods = 300, rate = 100): Promise<OverheadResult[]> {
  const out = new Map<string, OverheadResult>();
  const entry = (m: EvalMember) => out.get(m.name) ?? out.set(m.name, { member: m.name }).get(m.name)!;
  if (pm) {
    const a = await admissionOverhead(ctx, pm, pods, rate);
    if (a) entry(pm).admission = a;
  }
  ctx.bar.step('overhead: pod admission done');
  if (km) {
    const c = await cpuPinning(ctx, km);
    if (c) entry(km).cpuPinning = c;
  }
  ctx.bar.step('overhead: CPU pinning done');
  return [...out.values()];
}

async function admissionOverhead(ctx: EvalContext, m: EvalMember, pods: number, rate: number): Promise<OverheadResult['admission']> {
  const { r: pp, f } = evalTactics(m).podpreset;
  const why = await presentAlready(m, pp, f);
  if (why) {
    ctx.skipped.push({ experiment: 'overhead: pod admission', member: m.name, reason: why });
    return undefined;
  }
  // Stored pods on a cluster the harness started (bound to no node, never run); dry runs elsewhere, so nothing is stored.
  const dryRun = !m.local;
  const c = m.ctx.client;
  const burst = (ns: string, n: number) => podCreationBurst(c, ns, n, rate, { image: m.images.pause, dryRun });
  const without: number[] = [];
  const withHook: number[] = [];
  try {
    // Warm-up: a freshly started API server answers its first few hundred requests slower.
    await ensureEvalNamespace(c, 'fedfeat-eval-warmup');
    await burst('fedfeat-eval-warmup', 200);
    await deleteEvalNamespace(c, 'fedfeat-eval-warmup');
    for (let r = 0; r < ctx.repeats; r++) {
      ctx.bar.note(`overhead: pod admission on ${m.name} without the webhook, run ${r + 1}/${ctx.repeats}`);
      await ensureEvalNamespace(c, `fedfeat-eval-a-${r}`);
      without.push(...(await burst(`fedfeat-eval-a-${r}`, pods)).latenciesMs);
      await deleteEvalNamespace(c, `fedfeat-eval-a-${r}`);
    }
    await turnOn(m, pp, f, 120_000);
    for (let r = 0; r < ctx.repeats; r++) {
      ctx.bar.note(`overhead: pod admission on ${m.name} with the webhook, run ${r + 1}/${ctx.repeats}`);
      const ns = `fedfeat-eval-b-${r}`;
      await ensureEvalNamespace(c, ns);
      await c.post(`/apis/settings.k8s.io/v1alpha1/namespaces/${ns}/podpresets`, {
        apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'db' },
        spec: { selector: { matchLabels: { role: 'frontend' } }, env: [{ name: 'DB_PORT', value: '6379' }] },
      });
      await sleep(1500);
      withHook.push(...(await burst(ns, pods)).latenciesMs);
      await deleteEvalNamespace(c, ns);
    }
  } finally {
    await turnOff(m, pp, f).catch((e: Error) => ctx.bar.note(`overhead: revert of PodPreset on ${m.name} failed (${e.message}); "fedfeat eval cleanup" retries`));
  }
  const a = summarize(without);
  const b = summarize(withHook);
  return { withoutWebhook: a, withWebhook: b, addedP50Ms: b.p50 - a.p50, addedP99Ms: b.p99 - a.p99, podsPerRun: pods, rate, repeats: ctx.repeats, dryRun };
}

/** A CPU-bound loop timed per iteration, pinned (static policy, Guaranteed pod) vs shared, with a CPU hog beside them. */
async function cpuPinning(ctx: EvalContext, m: EvalMember): Promise<OverheadResult['cpuPinning']> {
  const wn = await workNode(m);
  if (!wn.node) {
    ctx.skipped.push({ experiment: 'overhead: CPU pinning', member: m.name, reason: `no node to run pods on: ${wn.reason}` });
    return undefined;
  }
  const node = wn.node;
  const { r: kl, f } = evalTactics(m).cpumanagementpolicy;
  // Already static: measure as it is, change nothing. Not probeable: change nothing either.
  const probe = await kl.probe(m.ctx, f);
  if (probe.state === 'Unknown') {
    ctx.skipped.push({ experiment: 'overhead: CPU pinning', member: m.name, reason: `the kubelets cannot be probed (${probe.reason}: ${probe.message})` });
    return undefined;
  }
  const present = probe.state === 'Supported';
  const ns = 'fedfeat-eval-cpu';
  const c = m.ctx.client;
  const script = 'const out=[];for(let r=0;r<' + (60 * ctx.repeats) + ';r++){const t=performance.now();let x=0;for(let i=0;i<3e6;i++)x+=Math.sqrt(i);out.push(performance.now()-t)}console.log(JSON.stringify(out))';
  const pod = (name: string, cpu?: string, cmd?: string[]) => c.post(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      nodeName: node, restartPolicy: 'Never', terminationGracePeriodSeconds: 0,
      containers: [{ name, image: m.images.node, command: cmd ?? ['/usr/local/bin/node', '-e', script], ...(cpu ? { resources: { requests: { cpu, memory: '128Mi' }, limits: { cpu, memory: '128Mi' } } } : {}) }],
    },
  });
  try {
    if (!present) {
      ctx.bar.note(`overhead: static CPU manager policy on ${m.name}`);
      await turnOn(m, kl, f);
    }
    await ensureEvalNamespace(c, ns);
    await pod('hog', undefined, ['/usr/local/bin/node', '-e', 'for(;;){}']);
    const results: Record<string, number[]> = {};
    for (const [name, cpu] of [['pinned', '1'], ['shared', undefined]] as const) {
      ctx.bar.note(`overhead: CPU-bound loop on ${m.name}/${node}, ${name}`);
      await pod(name, cpu);
      let log = '';
      for (let i = 0; i < 600 && !log.trim().startsWith('['); i++) {
        await sleep(1000);
        const p = await c.get<KubeObject & { status?: { phase?: string; reason?: string; message?: string } }>(`/api/v1/namespaces/${ns}/pods/${name}`);
        if (p.status?.phase === 'Failed') throw new Error(`the ${name} CPU loop pod on ${node} failed: ${p.status.reason ?? ''} ${p.status.message ?? ''}`.trim());
        log = await c.requestText('GET', `/api/v1/namespaces/${ns}/pods/${name}/log`).catch(() => '');
      }
      if (!log.trim().startsWith('[')) throw new Error(`the ${name} CPU loop pod on ${node} gave no result in 10 min`);
      results[name] = JSON.parse(log.trim()) as number[];
    }
    return {
      pinned: summarize(results.pinned!), shared: summarize(results.shared!), node,
      note: `iteration time (ms) of a CPU-bound loop while a CPU hog runs in the shared pool; pinned = Guaranteed pod with 1 exclusive CPU under cpuManagerPolicy static ${present ? '(present already)' : 'set by fedfeat'}`,
    };
  } finally {
    await deleteEvalNamespace(c, ns).catch(() => undefined);
    if (!present) await turnOff(m, kl, f).catch((e: Error) => ctx.bar.note(`overhead: revert of the kubelet change on ${m.name} failed (${e.message}); "fedfeat eval cleanup" retries`));
  }
}

// ---------------------------------------------------------------- experiment 2

export interface DisruptionRun {
  member: string;
  mode: string;
  seconds: number;
  ok: number;
  failed: number;
  longestGapMs: number;
  samples: ProbeSample[];
}

/** A web pod with a readiness probe, requested every 20 ms while each kubelet is reconfigured: rolling, then all at once. */
export async function disruptionExperiment(ctx: EvalContext, m: EvalMember): Promise<DisruptionRun[]> {
  const { r: kl } = evalTactics(m).cpumanagementpolicy;
  const why = await presentAlready(m, kl, STATIC_CPU);
  const wn = await workNode(m);
  if (why || !wn.node) {
    ctx.skipped.push({ experiment: 'disruption', member: m.name, reason: why ?? `no node to run the web pod on: ${wn.reason}` });
    ctx.bar.step(`disruption: skipped on ${m.name}`);
    ctx.bar.step(`disruption: skipped on ${m.name}`);
    return [];
  }
  const c = m.ctx.client;
  const ns = 'fedfeat-eval-disruption';
  const runs: DisruptionRun[] = [];
  try {
    await ensureEvalNamespace(c, ns);
    await c.post(`/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' },
      spec: {
        nodeName: wn.node, terminationGracePeriodSeconds: 0,
        containers: [{ name: 'web', image: m.images.web, command: ['sh', '-c', 'echo ok > /tmp/i && httpd -f -p 8080 -h /tmp'], readinessProbe: { httpGet: { path: '/i', port: 8080 }, periodSeconds: 1 } }],
      },
    });
    const ip = (await podReady(c, ns, 'web')).status!.podIP!;
    const nodes = (await c.list('/api/v1/nodes')).items.length;
    for (const [mode, max] of [['rolling (fedfeat, 1 node at a time)', 1], ['all at once (the paper\'s way)', nodes]] as const) {
      ctx.bar.note(`disruption: kubelet reconfiguration on ${m.name}, ${mode}`);
      const loop = getLoop(m.podGetter(ns, 'web', ip, 8080, '/i'), 20);
      let seconds: number;
      try {
        await sleep(2000);
        const t0 = performance.now();
        await turnOn(m, kl, { ...STATIC_CPU, maxUnavailableNodes: max } as DesiredFeature);
        seconds = (performance.now() - t0) / 1000;
        await sleep(2000);
      } finally {
        await loop.stop();
      }
      const samples = await loop.stop();
      runs.push({ member: m.name, mode, seconds, ...disruption(samples), samples });
      await turnOff(m, kl, STATIC_CPU);
      ctx.bar.step(`disruption: ${mode} on ${m.name} done`);
    }
  } finally {
    await deleteEvalNamespace(c, ns).catch(() => undefined);
    await turnOff(m, kl, STATIC_CPU).catch((e: Error) => ctx.bar.note(`disruption: revert on ${m.name} failed (${e.message}); "fedfeat eval cleanup" retries`));
  }
  return runs;
}

// ---------------------------------------------------------------- experiment 3

export interface TimeToReconfigure {
  feature: string;
  member: string;
  seconds: number[];
  summary: Summary;
  note?: string;
}

export interface ReconfigureCase {
  member: EvalMember;
  feature: 'podpreset' | 'cpumanagementpolicy' | 'networkpolicy';
  calicoManifestURL?: string;
  note?: string;
}

/** Each feature turned on (until it works) and off again, `repeats` times, on a cluster that lacks it. */
export async function timeToReconfigure(ctx: EvalContext, cases: ReconfigureCase[]): Promise<TimeToReconfigure[]> {
  const out: TimeToReconfigure[] = [];
  for (const c of cases) {
    const { r, f } = evalTactics(c.member, c.calicoManifestURL)[c.feature];
    const m = c.member;
    const why = await presentAlready(m, r, f);
    if (why) {
      ctx.skipped.push({ experiment: `time to reconfigure: ${c.feature}`, member: m.name, reason: why });
      for (let i = 0; i < ctx.repeats; i++) ctx.bar.step(`time to reconfigure: ${c.feature} skipped on ${m.name}`);
      continue;
    }
    const seconds: number[] = [];
    try {
      for (let i = 0; i < ctx.repeats; i++) {
        ctx.bar.note(`time to reconfigure: ${c.feature} on ${m.name}, run ${i + 1}/${ctx.repeats}`);
        const t0 = performance.now();
        await turnOn(m, r, f);
        seconds.push((performance.now() - t0) / 1000);
        // A fresh member again for the next run; a revert that is still finishing is waited for once more.
        await turnOff(m, r, f).catch(async (e: Error) => {
          ctx.bar.note(`time to reconfigure: ${c.feature}: ${e.message}; waiting once more`);
          await turnOff(m, r, f);
        });
        ctx.bar.step(`time to reconfigure: ${c.feature} on ${m.name} ${i + 1}/${ctx.repeats}`);
      }
    } catch (e) {
      if (e instanceof Interrupted) throw e;
      // One feature failing on one cluster is a result, not the end of the run.
      ctx.skipped.push({ experiment: `time to reconfigure: ${c.feature}`, member: m.name, reason: `failed after ${seconds.length} runs: ${(e as Error).message}`, failed: true });
    } finally {
      await turnOff(m, r, f).catch(() => undefined);
    }
    if (seconds.length) out.push({ feature: c.feature, member: m.name, seconds, summary: summarize(seconds), ...(c.note ? { note: c.note } : {}) });
  }
  return out;
}

/** A local HTTP server handing out the Calico stand-in manifest (real Calico images cannot be pulled here). */
export async function serveCalicoStandIn(): Promise<{ url: string; close(): void }> {
  const manifest = calicoLikeManifest();
  const server = http.createServer((_q, res) => res.end(manifest));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/calico.yaml`, close: () => server.close() };
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
    const p = await measure(ctx, 'scale: members', `${n} members`, () => scaleMembersPoint(n));
    if (p) points.push(p);
    ctx.bar.step(`scale: ${n} members done`);
  }
  return { points, fit: linearFit(points.map((p) => p.members), points.map((p) => p.applyToAllSupportedSeconds)) };
}

async function scaleMembersPoint(n: number): Promise<ScalePoint> {
  const state = await upForScale('evalscale', n, 2);
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
      const supported = fc.status?.members?.ready ?? 0;
      if (supported === n) break;
      if (performance.now() - t0 > 900_000) throw new Error(`only ${supported}/${n} members Supported after 15 min`);
      await sleep(250);
    }
    return { members: n, applyToAllSupportedSeconds: (performance.now() - t0) / 1000, controllerCpuSeconds: cpuSeconds(child.pid!) - cpu0, controllerRssMiB: rssMiB(child.pid!) };
  } finally {
    child?.kill('SIGTERM');
    host.close();
    await down('evalscale', { purge: true, quiet: true });
  }
}

/** Nodes per member: probing every node and installing Calico (stand-in) on 1 member with N KWOK nodes. */
export async function scaleNodes(ctx: EvalContext, sizes: number[]): Promise<{ points: NodeScalePoint[]; fit: ReturnType<typeof linearFit> }> {
  const calico = await serveCalicoStandIn();
  const points: NodeScalePoint[] = [];
  try {
    for (const n of sizes) {
      ctx.bar.note(`scale: member with ${n} KWOK nodes`);
      const p = await measure(ctx, 'scale: nodes', `${n} nodes`, () => scaleNodesPoint(n, calico.url));
      if (p) points.push(p);
      ctx.bar.step(`scale: ${n} nodes done`);
    }
  } finally {
    calico.close();
  }
  return { points, fit: linearFit(points.map((p) => p.nodes), points.map((p) => p.calicoInstallSeconds)) };
}

async function scaleNodesPoint(n: number, calicoURL: string): Promise<NodeScalePoint> {
  const state = await upForScale('evalnodes', 1, n);
  try {
    const [m] = await localMembers(state, ['member-1']);
    try {
      const t = evalTactics(m!, calicoURL);
      const p0 = performance.now();
      await t.cpumanagementpolicy.r.probe(m!.ctx, STATIC_CPU);
      const probeSeconds = (performance.now() - p0) / 1000;
      const t0 = performance.now();
      await probeThenReconfigure(t.networkpolicy.r, m!.ctx, t.networkpolicy.f);
      const v = await t.networkpolicy.r.verify(m!.ctx, t.networkpolicy.f, 600_000);
      if (v.state !== 'Supported') throw new Error(`Calico not Ready on ${n} nodes: ${v.message}`);
      return { nodes: n, probeSeconds, calicoInstallSeconds: (performance.now() - t0) / 1000 };
    } finally {
      m!.ctx.client.close();
    }
  } finally {
    await down('evalnodes', { purge: true, quiet: true });
  }
}
