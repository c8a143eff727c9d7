// Where the harness runs its experiments: the members of the local federation
// it started itself, or the clusters of kubeconfig contexts a user named. An
// EvalMember is everything an experiment needs to know about one cluster:
// how to talk to it, which images its nodes can pull, which node runs the
// experiment's pods, and how to reach a pod's HTTP port.
import { KubeConfig } from '@kubernetes/client-node';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../api/kubefed.js';
import { createLogger } from '../controller/logger.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { NODE_AGENT_IMAGE, PAUSE_IMAGE, TOOLS_IMAGE } from '../local-federation/images/build-images.js';
import type { FederationState } from '../local-federation/state.js';
import { DEFAULT_AGENT_IMAGE } from '../reconfigurators/kubelet-config/agent-pod.js';
import { AGENT_IMAGE_ANNOTATION } from '../reconfigurators/kubelet-config/reconfigurator.js';
import { WEBHOOK_URL_ANNOTATION } from '../reconfigurators/podpreset/reconfigurator.js';
import { isSimulated } from '../reconfigurators/kubelet-config/probe.js';
import type { MemberContext } from '../reconfigurators/types.js';
import { httpGet } from './load.js';

/** Nodes KWOK fakes: no kubelet, no pod network. The controller's default simulated-node annotation. */
export const SIMULATED_NODE_ANNOTATION = 'kwok.x-k8s.io/node=fake';

export interface EvalImages {
  /** busybox-like: sh and httpd (the disruption experiment's web server). */
  web: string;
  /** Image of pods that are only admitted, never started (dry runs, load pods). */
  pause: string;
  /** Has /usr/local/bin/node: the CPU-bound loop runs in it. fedfeat's node agent image is such an image. */
  node: string;
  /** fedfeat's image for the PodPreset webhook Deployment (Service mode); unset: the tactic's default. */
  webhook?: string;
}

export interface EvalMember {
  /** Member name (local federation) or kubeconfig context. */
  name: string;
  server: string;
  /** True for a cluster of the local federation the harness started (no confirmation needed). */
  local: boolean;
  ctx: MemberContext;
  images: EvalImages;
  /** Set once the run is interrupted: no new change starts. The tactics' own signal never fires, so a step in progress (and the revert after it) completes. */
  interrupted?: AbortSignal;
  /** The node experiment pods must run on (--node); otherwise the first usable one. */
  node?: string;
  /** How to GET a path on a pod's port: straight to the pod IP (local), or through the API server's pod proxy. */
  podGetter(ns: string, pod: string, podIP: string, port: number, path: string): () => Promise<boolean>;
}

export interface KubeconfigTargetOptions {
  kubeconfig: string;
  contexts: string[];
  /** Per-context PodPreset webhook URL (the webhook runs outside the cluster); otherwise fedfeat deploys it as a Service. */
  webhookUrls?: Record<string, string>;
  nodeAgentImage?: string;
  webhookImage?: string;
  webImage?: string;
  /** Node for the experiment pods, on every context (otherwise picked per cluster). */
  node?: string;
  pauseImage?: string;
  simulatedNodeAnnotation?: string;
  /** Fires when the run is interrupted (checked between steps, never inside a tactic). */
  signal?: AbortSignal;
}

export const DEFAULT_REMOTE_IMAGES: EvalImages = { web: 'busybox:1.36', pause: 'registry.k8s.io/pause:3.10', node: DEFAULT_AGENT_IMAGE };

function memberContext(cluster: string, client: KubeClient, annotations: Record<string, string>, simulated: string | undefined): MemberContext {
  return {
    cluster, annotations, client, log: createLogger('warn'), signal: new AbortController().signal,
    options: { nodeProbeConcurrency: 8, requestTimeoutMs: 10_000, ...(simulated ? { simulatedNodeAnnotation: simulated } : {}) },
    now: () => new Date(), event: () => undefined,
  };
}

/** The local federation's members, with the per-member settings its registration carries (webhook URL, agent image). */
export async function localMembers(state: FederationState, names: string[]): Promise<EvalMember[]> {
  const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
  try {
    const out: EvalMember[] = [];
    for (const name of names) {
      const cluster = state.clusters.find((c) => c.name === name);
      if (!cluster) throw new Error(`the local federation has no member "${name}"`);
      const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, name));
      const client = await KubeClient.fromKubeConfig(cluster.kubeconfig);
      out.push({
        name, server: cluster.server, local: true,
        ctx: memberContext(name, client, kfc.metadata.annotations ?? {}, SIMULATED_NODE_ANNOTATION),
        images: { web: TOOLS_IMAGE, pause: PAUSE_IMAGE, node: NODE_AGENT_IMAGE },
        podGetter: (_ns, _pod, podIP, port, path) => httpGet(podIP, port, path),
      });
    }
    return out;
  } finally {
    host.close();
  }
}

/** Checks the contexts the user named (they exist, are distinct clusters) before anything connects. Pure. */
export function resolveContexts(kc: Pick<KubeConfig, 'getContexts' | 'getCluster'>, names: string[]): Array<{ context: string; server: string }> {
  if (!names.length) throw new Error('name the clusters to evaluate with --context CONTEXT[,CONTEXT...]; the harness never picks one itself');
  const known = kc.getContexts();
  const seen = new Map<string, string>();
  return names.map((name) => {
    const c = known.find((x) => x.name === name);
    if (!c) throw new Error(`kubeconfig has no context "${name}" (it has: ${known.map((x) => x.name).join(', ') || 'none'})`);
    const server = kc.getCluster(c.cluster)?.server;
    if (!server) throw new Error(`context "${name}" names cluster "${c.cluster}", which the kubeconfig does not define`);
    const dup = seen.get(server);
    if (dup) throw new Error(`contexts "${dup}" and "${name}" point at the same API server ${server}; name each cluster once`);
    seen.set(server, name);
    return { context: name, server };
  });
}

/** Members from kubeconfig contexts; connects to each (GET /version) so a wrong context fails before any change. */
export async function kubeconfigMembers(o: KubeconfigTargetOptions): Promise<EvalMember[]> {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(o.kubeconfig);
  } catch (e) {
    throw new Error(`cannot read kubeconfig ${o.kubeconfig}: ${(e as Error).message}`);
  }
  for (const ctx of Object.keys(o.webhookUrls ?? {})) {
    if (!o.contexts.includes(ctx)) throw new Error(`--podpreset-webhook-url names context "${ctx}", which is not one of --context ${o.contexts.join(',')}`);
  }
  const resolved = resolveContexts(kc, o.contexts);
  const images: EvalImages = { web: o.webImage ?? DEFAULT_REMOTE_IMAGES.web, pause: o.pauseImage ?? DEFAULT_REMOTE_IMAGES.pause, node: o.nodeAgentImage ?? DEFAULT_REMOTE_IMAGES.node, ...(o.webhookImage ? { webhook: o.webhookImage } : {}) };
  const out: EvalMember[] = [];
  try {
    for (const { context, server } of resolved) {
      kc.setCurrentContext(context);
      const client = await KubeClient.fromKubeConfig(kc);
      try {
        await client.get<KubeObject>('/version', { timeoutMs: 10_000 });
      } catch (e) {
        client.close();
        throw new Error(`context "${context}" (${server}) does not answer: ${(e as Error).message}`);
      }
      const annotations: Record<string, string> = {};
      if (o.nodeAgentImage) annotations[AGENT_IMAGE_ANNOTATION] = o.nodeAgentImage;
      const url = o.webhookUrls?.[context];
      if (url) annotations[WEBHOOK_URL_ANNOTATION] = url;
      out.push({
        name: context, server, local: false, images, ...(o.node ? { node: o.node } : {}), ...(o.signal ? { interrupted: o.signal } : {}),
        ctx: memberContext(context, client, annotations, o.simulatedNodeAnnotation ?? SIMULATED_NODE_ANNOTATION),
        // Pod IPs are rarely routable from where the harness runs: go through the API server.
        podGetter: (ns, pod, _ip, port, path) => async () => {
          try {
            await client.requestText('GET', `/api/v1/namespaces/${ns}/pods/${pod}:${port}/proxy${path}`, { timeoutMs: 1000 });
            return true;
          } catch {
            return false;
          }
        },
      });
    }
  } catch (e) {
    for (const m of out) m.ctx.client.close();
    throw e;
  }
  return out;
}

type Node = KubeObject & {
  spec?: { unschedulable?: boolean; taints?: Array<{ effect: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
};

/** The node the experiment's pods run on: Ready, schedulable, untainted, not simulated. Pure. */
export function pickWorkNode(nodes: Node[], simulatedAnnotation: string | undefined, wanted?: string): { node?: string; reason: string } {
  const usable = (n: Node): string | undefined => {
    if (isSimulated(n, simulatedAnnotation)) return 'simulated (no kubelet)';
    if (!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return 'not Ready';
    if (n.spec?.unschedulable) return 'cordoned';
    if (n.spec?.taints?.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return 'tainted';
    return undefined;
  };
  if (wanted) {
    const n = nodes.find((x) => x.metadata.name === wanted);
    if (!n) return { reason: `node ${wanted} does not exist` };
    const why = usable(n);
    return why ? { reason: `node ${wanted} is ${why}` } : { node: wanted, reason: 'named with --node' };
  }
  const pick = [...nodes].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)).find((n) => !usable(n));
  return pick ? { node: pick.metadata.name, reason: 'first Ready, schedulable, untainted node' } : { reason: `none of the ${nodes.length} nodes is Ready, schedulable, untainted and real` };
}
