// The paper's disruption experiment (Section 7.3.2, Figure 14) on member-1's
// real nodes, as a user would see it: a Deployment with one replica per real
// node and a readiness probe behind a ClusterIP Service, requested every 10 ms
// by a client in its own network namespace (through kube-proxy), while the
// kubelets get the static CPU manager policy three ways:
//   (a) the paper's way: a privileged DaemonSet that rewrites the kubelet
//       config and restarts every kubelet at once (fedfeat's own agent code
//       as the DaemonSet's init container, so the edit is the same);
//   (b) fedfeat's rolling reconfiguration, one node at a time, verified;
//   (c) rolling with spec.rollout.drainNodes (cordon, evict, restart, uncordon)
//       with a PodDisruptionBudget of maxUnavailable 1.
// EndpointSlices and pods are watched throughout; between modes every kubelet
// goes back to its own file (the tactic's revert) and the Service to full
// strength. Local federation only (it needs a client namespace on the node
// bridge).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DesiredFeature } from '../api/featureconfig.js';
import type { KubeClient, KubeObject, WatchEvent } from '../kube-client/client.js';
import { sleep, waitFor } from '../kube-client/wait.js';
import { SERVICE_CIDR } from '../local-federation/control-plane.js';
import { createClient, deleteNamespace, inNodeNetns, planClient, type NetworkPlan } from '../local-federation/real-node/network.js';
import type { FederationState } from '../local-federation/state.js';
import { AGENT_COMMAND } from '../reconfigurators/kubelet-config/agent-pod.js';
import { KubeletConfigReconfigurator } from '../reconfigurators/kubelet-config/reconfigurator.js';
import { AGENT_IMAGE_ANNOTATION, RESTART_ANNOTATION } from '../reconfigurators/kubelet-config/node-kubelets.js';
import { probeThenReconfigure } from '../reconfigurators/run.js';
import { readyTimeline, readyTransitions, summarizeEndpoints, type EndpointSummary, type PodReadyEvent, type SliceEndpoint, type SliceEvent } from './endpoint-timeline.js';
import { disruption, type ProbeSample } from './load.js';
import type { EvalMember } from './targets.js';

export const SVC_NS = 'fedfeat-eval-svc-disruption';
const PAPER_NS = 'fedfeat-eval-paper-daemonset';
const MANAGED = { 'app.kubernetes.io/managed-by': 'fedfeat-eval' };
const SETTINGS = { cpuManagerPolicy: 'static' as const };

export type ServiceDisruptionMode = 'all-at-once' | 'rolling' | 'rolling-drain';
export const MODE_LABELS: Record<ServiceDisruptionMode, string> = {
  'all-at-once': "(a) all at once: privileged DaemonSet (the paper's way)",
  rolling: '(b) fedfeat rolling, 1 node at a time',
  'rolling-drain': '(c) fedfeat rolling with drainNodes',
};

export interface ReadinessSettings {
  periodSeconds: number;
  failureThreshold: number;
  /**
   * Unset: an HTTP GET of the web page (answers in milliseconds). Set: an exec probe that checks the page and
   * takes this long, like a database's readiness script (Cassandra's runs nodetool); after a kubelet restart
   * the pod is not Ready for about as long as one probe takes (see the report).
   */
  probeSeconds?: number;
}

/** The probe as the pod spec says it (pure). */
export function readinessProbe(r: ReadinessSettings): Record<string, unknown> {
  const timing = { periodSeconds: r.periodSeconds, failureThreshold: r.failureThreshold };
  if (!r.probeSeconds) return { httpGet: { path: '/i', port: 8080 }, ...timing };
  return { exec: { command: ['sh', '-c', `sleep ${r.probeSeconds} && wget -q -O /dev/null http://127.0.0.1:8080/i`] }, timeoutSeconds: Math.ceil(r.probeSeconds) + 3, ...timing };
}

/** "HTTP GET every 1 s" / "exec probe taking 2 s, every 3 s" (pure). */
export const describeReadiness = (r: ReadinessSettings) =>
  `${r.probeSeconds ? `exec readiness probe taking ${r.probeSeconds} s` : 'HTTP GET readiness probe'} every ${r.periodSeconds} s (failureThreshold ${r.failureThreshold})`;

export interface ServiceDisruptionRun {
  mode: ServiceDisruptionMode;
  label: string;
  /** Reconfiguration start → every real kubelet Ready with the new /configz. */
  seconds: number;
  requests: number;
  failed: number;
  longestGapMs: number;
  /** Endpoint departures with `left` in seconds after the start. */
  endpoints: EndpointSummary;
  /** Each real node: seconds after the start when its /configz first showed the new policy (its new kubelet answered). */
  kubeletBackSeconds: Record<string, number>;
  /** Pods' Ready changes during the window, seconds after the start. */
  readyChanges: Array<{ s: number; pod: string; node?: string; ready: boolean | 'deleted' }>;
  /** Ready endpoints of the Service over time: [seconds after the start, count] (a step function). */
  readyEndpoints: Array<[number, number]>;
  /** Requests: seconds after the start and latency (null = failed). */
  samples: ProbeSample[];
}

export interface ServiceDisruptionResult {
  nodes: string[];
  replicas: number;
  readiness: ReadinessSettings;
  intervalMs: number;
  runs: ServiceDisruptionRun[];
}

type Pod = KubeObject & { spec?: { nodeName?: string }; status?: { conditions?: Array<{ type: string; status: string }> } };
type Slice = KubeObject & { endpoints?: SliceEndpoint[] | null };

const here = path.dirname(fileURLToPath(import.meta.url));

function webObjects(replicas: number, r: ReadinessSettings, image: string): KubeObject[] {
  const labels = { app: 'web' };
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: SVC_NS },
      spec: {
        replicas, selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 1,
            // One replica per real node (KWOK nodes carry a NoSchedule taint the pods do not tolerate).
            affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' }] } },
            containers: [{
              name: 'web', image, command: ['sh', '-c', 'echo ok > /tmp/i && exec httpd -f -p 8080 -h /tmp'],
              ports: [{ containerPort: 8080 }],
              readinessProbe: readinessProbe(r),
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: SVC_NS }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: SVC_NS }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
  ] as unknown as KubeObject[];
}

/** The paper's tactic: a DaemonSet whose init container edits the kubelet config and restarts the kubelet, on every node at once. */
function paperDaemonSet(m: EvalMember, nodes: string[], restart: string): KubeObject {
  const image = m.ctx.annotations[AGENT_IMAGE_ANNOTATION] ?? m.images.node;
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kubelet-reconfigure', namespace: PAPER_NS, labels: MANAGED },
    spec: {
      selector: { matchLabels: { app: 'kubelet-reconfigure' } },
      template: {
        metadata: { labels: { app: 'kubelet-reconfigure' } },
        spec: {
          hostPID: true, hostNetwork: true, automountServiceAccountToken: false, terminationGracePeriodSeconds: 0,
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: nodes }] }] } } },
          initContainers: [{
            name: 'reconfigure', image, securityContext: { privileged: true },
            // The nodes' restart method (their annotation; "signal" on the local real nodes); $(NODE_NAME) is expanded by the kubelet.
            command: ['/usr/local/bin/node', AGENT_COMMAND[1]!, 'apply', '--node', '$(NODE_NAME)', '--settings', JSON.stringify(SETTINGS), '--restart', restart, '--host-root', '/host', '--timeout-seconds', '60'],
            env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          }],
          containers: [{ name: 'pause', image: m.images.pause }],
          volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
        },
      },
    },
  } as unknown as KubeObject;
}

async function watchInto<T>(c: KubeClient, p: string, query: Record<string, string>, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
  // A watch ends on the server's timeout or a cut connection: resumed until the experiment stops it.
  while (!signal.aborted) await c.watch<T>(p, { ...query, timeoutSeconds: '600', allowWatchBookmarks: 'false' }, onEvent, signal).catch(() => sleep(200));
}

/** Starts the client in its network namespace; resolves its samples (epoch ms, latency or null) when stopped. */
function startClient(netns: string, url: string, intervalMs: number): { stop(): Promise<Array<{ t: number; ms: number | null }>> } {
  const script = path.join(here, 'service-client.js');
  const [cmd, ...args] = inNodeNetns(netns, [process.execPath, script, '--url', url, '--interval-ms', String(intervalMs)]);
  const child: ChildProcess = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const samples: Array<{ t: number; ms: number | null }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [t, ms] = line.split(' ').map(Number);
    samples.push({ t: t!, ms: ms! < 0 ? null : ms! });
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return samples;
    },
  };
}

async function realKubeletConfigured(c: KubeClient, node: string): Promise<boolean> {
  try {
    const z = await c.get<{ kubeletconfig?: { cpuManagerPolicy?: string } }>(`/api/v1/nodes/${node}/proxy/configz`, { timeoutMs: 2000 });
    return z.kubeletconfig?.cpuManagerPolicy === 'static';
  } catch {
    return false;
  }
}

/** Every web replica Ready and every one of them a ready endpoint of the Service. */
async function serviceAtFullStrength(c: KubeClient, replicas: number): Promise<void> {
  await waitFor(`all ${replicas} web replicas Ready behind the Service`, async () => {
    const slices = (await c.list<Slice>(`/apis/discovery.k8s.io/v1/namespaces/${SVC_NS}/endpointslices`, { query: { labelSelector: 'kubernetes.io/service-name=web' } })).items;
    const ready = slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
    return ready === replicas || undefined;
  }, { timeoutMs: 240_000, intervalMs: 500 });
}

export interface ServiceDisruptionOptions {
  readiness: ReadinessSettings;
  intervalMs: number;
  modes: ServiceDisruptionMode[];
  /** Seconds of traffic before the reconfiguration starts and after it ends. */
  settleSeconds: number;
  note?(msg: string): void;
}

/**
 * Readiness probes the harness compares: the paper's (every second, answering at once), and a slow one like a
 * database's readiness script (2 s per probe, every 3 s).
 */
export const SERVICE_DISRUPTION_PROBES: ReadinessSettings[] = [{ periodSeconds: 1, failureThreshold: 3 }, { periodSeconds: 3, failureThreshold: 3, probeSeconds: 2 }];

export const DEFAULT_SERVICE_DISRUPTION: ServiceDisruptionOptions = {
  readiness: { periodSeconds: 1, failureThreshold: 3 }, intervalMs: 10, modes: ['all-at-once', 'rolling', 'rolling-drain'], settleSeconds: 5,
};

export async function serviceDisruption(m: EvalMember, state: FederationState, o: ServiceDisruptionOptions = DEFAULT_SERVICE_DISRUPTION): Promise<ServiceDisruptionResult> {
  const c = m.ctx.client;
  const nodes = (state.realNodes ?? []).map((n) => n.nodeName).sort();
  if (nodes.length < 2) throw new Error(`the Service disruption experiment needs at least 2 real nodes (member-1 has ${nodes.length})`);
  const note = o.note ?? (() => undefined);
  const tactic = new KubeletConfigReconfigurator();
  const net = state.realNetwork as unknown as NetworkPlan;
  const client = planClient(state.instance, net, 'evaldisr', 2, SERVICE_CIDR);
  const runs: ServiceDisruptionRun[] = [];
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: MANAGED } }) as KubeObject;
  try {
    if ((await tactic.probe(m.ctx, { name: 'cpumanagementpolicy', kubelet: SETTINGS })).state === 'Supported') {
      throw new Error('the real kubelets run the static CPU manager policy already; the experiment needs them without it');
    }
    await c.apply(`/api/v1/namespaces/${SVC_NS}`, ns(SVC_NS), 'fedfeat-eval');
    for (const obj of webObjects(nodes.length, o.readiness, m.images.web)) await c.applyObject(obj, 'fedfeat-eval');
    await serviceAtFullStrength(c, nodes.length);
    const svc = await c.get<KubeObject & { spec: { clusterIP: string } }>(`/api/v1/namespaces/${SVC_NS}/services/web`);
    deleteNamespace(client.netns);
    createClient(net, client);
    const url = `http://${svc.spec.clusterIP}/i`;

    for (const mode of o.modes) {
      note(`disruption through a Service: ${MODE_LABELS[mode]}`);
      await serviceAtFullStrength(c, nodes.length);
      const stopWatches = new AbortController();
      const sliceEvents: SliceEvent[] = [];
      const podEvents: PodReadyEvent[] = [];
      const watches = [
        watchInto<Slice>(c, `/apis/discovery.k8s.io/v1/namespaces/${SVC_NS}/endpointslices`, { labelSelector: 'kubernetes.io/service-name=web' }, (e) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED') sliceEvents.push({ t: Date.now(), type: e.type, slice: e.object.metadata.name, endpoints: e.object.endpoints ?? [] });
        }, stopWatches.signal),
        watchInto<Pod>(c, `/api/v1/namespaces/${SVC_NS}/pods`, { labelSelector: 'app=web' }, (e) => {
          const ready = e.type === 'DELETED' ? 'deleted' as const : !!e.object.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
          podEvents.push({ t: Date.now(), pod: e.object.metadata.name, ...(e.object.spec?.nodeName ? { node: e.object.spec.nodeName } : {}), ready });
        }, stopWatches.signal),
      ];
      const kubeletBack: Record<string, number> = {};
      const loop = startClient(client.netns, url, o.intervalMs);
      let t0 = 0;
      let t1 = 0;
      const poller = (async () => {
        while (!stopWatches.signal.aborted) {
          if (t0) for (const n of nodes) if (kubeletBack[n] === undefined && (await realKubeletConfigured(c, n))) kubeletBack[n] = (Date.now() - t0) / 1000;
          await sleep(250);
        }
      })();
      try {
        await sleep(o.settleSeconds * 1000);
        t0 = Date.now();
        if (mode === 'all-at-once') {
          await c.apply(`/api/v1/namespaces/${PAPER_NS}`, ns(PAPER_NS), 'fedfeat-eval');
          const first = await c.get<KubeObject>(`/api/v1/nodes/${nodes[0]}`);
          await c.applyObject(paperDaemonSet(m, nodes, first.metadata.annotations?.[RESTART_ANNOTATION] ?? 'auto'), 'fedfeat-eval');
          await waitFor('every real kubelet Ready with the static policy', async () => {
            for (const n of nodes) {
              const node = await c.get<KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }>(`/api/v1/nodes/${n}`);
              if (!node.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) return undefined;
              if (!(await realKubeletConfigured(c, n))) return undefined;
            }
            return true;
          }, { timeoutMs: 300_000, intervalMs: 250 });
        } else {
          const f: DesiredFeature = { name: 'cpumanagementpolicy', kubelet: SETTINGS, ...(mode === 'rolling-drain' ? { drainNodes: true } : {}) };
          await probeThenReconfigure(tactic, m.ctx, f);
        }
        t1 = Date.now();
        // The window closes only once every replica is a ready endpoint again, and not before a pod's first probe
        // after the last kubelet restart can have run (it comes at a random moment within one period), plus the
        // settle time.
        await sleep((o.readiness.periodSeconds + (o.readiness.probeSeconds ?? 0) + 1) * 1000);
        await serviceAtFullStrength(c, nodes.length);
        await sleep(o.settleSeconds * 1000);
      } finally {
        const raw = await loop.stop();
        stopWatches.abort();
        await Promise.all([...watches, poller]);
        const samples = raw.map((s) => ({ t: (s.t - t0) / 1000, ms: s.ms }));
        const d = disruption(samples);
        if (t1) {
          const timeline = readyTimeline(sliceEvents);
          const before = [...timeline].reverse().find((p) => p.t <= t0)?.ready.length ?? 0;
          const steps: Array<[number, number]> = [[-o.settleSeconds, before]];
          for (const p of timeline.filter((x) => x.t > t0)) steps.push([(p.t - t0) / 1000, steps.at(-1)![1]], [(p.t - t0) / 1000, p.ready.length]);
          steps.push([samples.at(-1)?.t ?? (Date.now() - t0) / 1000, steps.at(-1)![1]]);
          runs.push({
            readyEndpoints: steps,
            mode, label: MODE_LABELS[mode], seconds: (t1 - t0) / 1000, requests: samples.length, failed: d.failed, longestGapMs: d.longestGapMs,
            // Departure times as seconds after the start, like everything else in a run.
            endpoints: (({ departures, ...rest }) => ({ ...rest, departures: departures.map((d) => ({ ...d, left: (d.left - t0) / 1000 })) }))(summarizeEndpoints(timeline, t0, Date.now())),
            kubeletBackSeconds: kubeletBack,
            readyChanges: readyTransitions(podEvents).filter((e) => e.t >= t0).map((e) => ({ s: (e.t - t0) / 1000, pod: e.pod, ...(e.node ? { node: e.node } : {}), ready: e.ready })),
            samples,
          });
        }
        // Back to the kubelets' own configuration before the next mode (the DaemonSet's edit is the agent's own, so the tactic's revert restores it).
        note(`disruption through a Service: ${MODE_LABELS[mode]} done; reverting the kubelets`);
        if (mode === 'all-at-once') {
          await c.delete(`/api/v1/namespaces/${PAPER_NS}`);
          await c.waitGone([`/api/v1/namespaces/${PAPER_NS}`], 120_000);
        }
        await tactic.revert(m.ctx);
        // The revert restarted every kubelet too: its pods' readiness blips come up to one period later, and the
        // next mode must not start inside one.
        await sleep((o.readiness.periodSeconds + (o.readiness.probeSeconds ?? 0) + 1) * 1000);
      }
    }
  } finally {
    deleteNamespace(client.netns);
    await c.delete(`/api/v1/namespaces/${PAPER_NS}`).catch(() => undefined);
    await c.delete(`/api/v1/namespaces/${SVC_NS}`).catch(() => undefined);
    await c.waitGone([`/api/v1/namespaces/${SVC_NS}`, `/api/v1/namespaces/${PAPER_NS}`], 120_000).catch(() => undefined);
  }
  return { nodes, replicas: nodes.length, readiness: o.readiness, intervalMs: o.intervalMs, runs };
}

