// Informer caches of what placement reads on a member: its Nodes, its
// non-terminated Pods (stripped to what capacity needs) indexed by node, and
// the Deployments placements put there. Kept only for members some placement
// considers (selected and Ready): with thousands of members joined, the
// others cost no watch and no connection. Every decision reads these caches,
// never the member.
import type { Container } from '../api/featureplacement.js';
import type { KubeClient, KubeObject } from '../kube-client/client.js';
import { Informer } from '../controller/informer.js';
import type { Logger } from '../controller/logger.js';
import type { Member } from '../controller/member-registry.js';
import { addUsage, type NodeObject, type PodObject, type Usage } from './capacity.js';
import { PLACEMENT_LABEL } from './render.js';

export type DeploymentObject = KubeObject & {
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; updatedReplicas?: number; observedGeneration?: number };
};

/** A pod as the cache keeps it: name, labels, node, requests, phase, scheduling condition. */
export function stripPod(p: PodObject): PodObject {
  const keep = (cs: Array<{ name: string; resources?: unknown }> | undefined) => cs?.map((c) => ({ name: c.name, ...(c.resources ? { resources: c.resources } : {}) }));
  const spec = p.spec ?? {};
  const scheduled = p.status?.conditions?.filter((c) => c.type === 'PodScheduled');
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: p.metadata.name, namespace: p.metadata.namespace, resourceVersion: p.metadata.resourceVersion, uid: p.metadata.uid,
      creationTimestamp: p.metadata.creationTimestamp, ...(p.metadata.labels ? { labels: p.metadata.labels } : {}),
    },
    spec: {
      ...(spec.nodeName ? { nodeName: spec.nodeName } : {}),
      containers: keep(spec.containers) as Container[],
      ...(spec.initContainers ? { initContainers: keep(spec.initContainers) as Container[] } : {}),
      ...(spec.overhead ? { overhead: spec.overhead } : {}),
    },
    status: { ...(p.status?.phase ? { phase: p.status.phase } : {}), ...(scheduled?.length ? { conditions: scheduled } : {}) },
  };
}

export class MemberCache {
  readonly nodes: Informer<NodeObject>;
  readonly pods: Informer<PodObject>;
  readonly deployments: Informer<DeploymentObject>;
  /** Requests of the non-terminated pods per node, kept up to date by the pod informer's events. */
  readonly used = new Map<string, Usage>();

  constructor(readonly cluster: string, readonly client: KubeClient, log: Logger, onChange: () => void) {
    const l = log.child({ cluster });
    this.nodes = new Informer<NodeObject>(client, '/api/v1/nodes', l.child({ informer: 'placement-nodes' }));
    this.pods = new Informer<PodObject>(client, '/api/v1/pods', l.child({ informer: 'placement-pods' }), {
      fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
      transform: stripPod as (o: never) => unknown,
    });
    this.deployments = new Informer<DeploymentObject>(client, '/apis/apps/v1/deployments', l.child({ informer: 'placement-deployments' }), { labelSelector: PLACEMENT_LABEL });
    this.pods.addHandlers({
      onAdd: (p) => { addUsage(this.used, p, 1); onChange(); },
      onUpdate: (a, b) => { addUsage(this.used, a, -1); addUsage(this.used, b, 1); onChange(); },
      onDelete: (p) => { addUsage(this.used, p, -1); onChange(); },
    });
    for (const inf of [this.nodes, this.deployments] as Array<Informer<KubeObject>>) inf.addHandlers({ onAdd: onChange, onUpdate: onChange, onDelete: onChange });
  }

  start(): void {
    this.nodes.start();
    this.pods.start();
    this.deployments.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.nodes.stop(), this.pods.stop(), this.deployments.stop()]);
  }

  synced(): boolean {
    return this.nodes.hasSynced() && this.pods.hasSynced() && this.deployments.hasSynced();
  }

  /** Pods of one placement (by its label value), in one namespace. */
  podsOf(namespace: string, placement: string): PodObject[] {
    return this.pods.listNamespace(namespace).filter((p) => p.metadata.labels?.[PLACEMENT_LABEL] === placement);
  }
}

/** The caches of the members placement needs now; others are stopped. */
export class MemberCaches {
  private readonly caches = new Map<string, MemberCache>();

  constructor(private readonly log: Logger, private readonly onChange: (cluster: string) => void) {}

  get size(): number {
    return this.caches.size;
  }

  get(cluster: string): MemberCache | undefined {
    return this.caches.get(cluster);
  }

  /** Starts caches for these members (a rebuilt client gets a new cache) and stops the others. */
  keep(members: Member[]): void {
    const wanted = new Map(members.filter((m) => m.client).map((m) => [m.name, m]));
    for (const [name, c] of this.caches) {
      if (wanted.get(name)?.client === c.client) continue;
      this.caches.delete(name);
      void c.stop();
    }
    for (const [name, m] of wanted) {
      if (this.caches.has(name)) continue;
      const c = new MemberCache(name, m.client!, this.log, () => this.onChange(name));
      this.caches.set(name, c);
      c.start();
    }
  }

  async stop(): Promise<void> {
    const all = [...this.caches.values()];
    this.caches.clear();
    await Promise.all(all.map((c) => c.stop()));
  }
}
