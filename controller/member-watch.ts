// Drift watches on one member: nodes (joining, replaced), DaemonSets (CNI,
// node agents) and CRDs (replicated APIs), each only where a feature asked of
// the member depends on it. Any change re-probes the member; changes made by
// someone other than fedfeat are remembered with the field manager that made
// them, so a lost feature can be blamed in an Event. A fleet of thousands gets
// watches on at most a limit of members (planDriftWatches); the rest are
// looked at by the periodic resync only.
import type { FeatureName } from '../api/featureconfig.js';
import type { KubeClient, KubeObject } from '../kube-client/client.js';
import { Informer } from './informer.js';
import type { Logger } from './logger.js';

export interface ObservedChange {
  kind: string;
  name: string;
  change: 'added' | 'modified' | 'deleted';
  /** Field manager of the newest managedFields entry (who last wrote the object). */
  manager?: string;
  at: number;
}

/** Pure: the manager that wrote the object last, from its managedFields. */
export function lastManager(obj: KubeObject): string | undefined {
  const entries = (obj.metadata.managedFields ?? []) as Array<{ manager?: string; time?: string }>;
  const sorted = entries.filter((e) => e.manager).sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''));
  return sorted[0]?.manager;
}

export type WatchKind = 'Node' | 'DaemonSet' | 'CustomResourceDefinition';

const PATHS: Record<WatchKind, string> = {
  Node: '/api/v1/nodes',
  DaemonSet: '/apis/apps/v1/daemonsets',
  CustomResourceDefinition: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
};

/**
 * What each feature's probe reads, so what can make it drift: the PodPreset
 * API is a CRD, kubelet settings live on nodes (a new or replaced node comes
 * with its image's defaults), the network-policy CNI is a DaemonSet.
 */
const KINDS_BY_FEATURE: Record<FeatureName, WatchKind[]> = {
  podpreset: ['CustomResourceDefinition'],
  cpumanagementpolicy: ['Node'],
  kubelet: ['Node'],
  networkpolicy: ['DaemonSet'],
};

/** Pure: the kinds to watch on a member asked for these features, in a fixed order. */
export function watchKindsFor(features: Iterable<FeatureName>): WatchKind[] {
  const kinds = new Set<WatchKind>();
  for (const f of features) for (const k of KINDS_BY_FEATURE[f]) kinds.add(k);
  return (Object.keys(PATHS) as WatchKind[]).filter((k) => kinds.has(k));
}

/**
 * Pure: which members get drift watches (and of which kinds), given what each
 * eligible member wants, which members are watched now, and the most members
 * that may be. Members already watched keep their place (no churn when the
 * fleet grows); free places go to the others in name order (deterministic).
 */
export function planDriftWatches(wanted: ReadonlyMap<string, WatchKind[]>, current: Iterable<string>, limit: number): Map<string, WatchKind[]> {
  const plan = new Map<string, WatchKind[]>();
  const want = (name: string) => {
    const kinds = wanted.get(name);
    if (kinds?.length && plan.size < limit && !plan.has(name)) plan.set(name, kinds);
  };
  for (const name of [...current].sort()) want(name);
  for (const name of [...wanted.keys()].sort()) want(name);
  return plan;
}

export class MemberWatch {
  private readonly informers = new Map<WatchKind, Informer<KubeObject>>();
  private readonly changes: ObservedChange[] = [];
  private started = false;

  constructor(
    readonly cluster: string,
    readonly client: KubeClient,
    private readonly log: Logger,
    private readonly ownManagers: string[],
    private readonly onChange: (why: string) => void,
    kinds: WatchKind[] = ['Node', 'DaemonSet', 'CustomResourceDefinition'],
  ) {
    for (const k of kinds) this.informers.set(k, this.informer(k));
  }

  get kinds(): WatchKind[] {
    return [...this.informers.keys()];
  }

  private informer(kind: WatchKind): Informer<KubeObject> {
    // Metadata only: any change re-probes the member (the probe reads what it needs), and managedFields
    // names who made it; whole objects (CRDs with their schemas: Calico's are ~100 KiB each) would be
    // cached per member for nothing.
    const inf = new Informer<KubeObject>(this.client, PATHS[kind], this.log.child({ cluster: this.cluster, watch: kind }), { metadataOnly: true });
    const note = (change: ObservedChange['change'], obj: KubeObject, significant: boolean) => {
      if (!inf.hasSynced()) return; // the initial list is not a change
      const name = obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
      const manager = lastManager(obj);
      if (manager && !this.ownManagers.includes(manager)) {
        this.changes.push({ kind, name, change, manager, at: Date.now() });
        if (this.changes.length > 50) this.changes.shift();
      }
      if (significant) this.onChange(`${kind} ${name} ${change}`);
    };
    inf.addHandlers({
      onAdd: (o) => note('added', o, true),
      // Node status heartbeats change resourceVersion every few seconds; only label/annotation changes matter.
      onUpdate: (a, b) => note('modified', b, kind !== 'Node' || JSON.stringify(stripVersion(a)) !== JSON.stringify(stripVersion(b))),
      onDelete: (o) => note('deleted', o, true),
    });
    return inf;
  }

  /** Watches exactly these kinds from now on: new ones are started, dropped ones stopped (the others keep their cache). */
  async setKinds(kinds: WatchKind[]): Promise<void> {
    const stopping: Array<Promise<void>> = [];
    for (const [k, inf] of this.informers) {
      if (kinds.includes(k)) continue;
      this.informers.delete(k);
      stopping.push(inf.stop());
    }
    for (const k of kinds) {
      if (this.informers.has(k)) continue;
      const inf = this.informer(k);
      this.informers.set(k, inf);
      if (this.started) inf.start();
    }
    await Promise.all(stopping);
  }

  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  /** Changes by others in the last windowMs, newest first. */
  recentForeignChanges(windowMs = 10 * 60_000): ObservedChange[] {
    const since = Date.now() - windowMs;
    return this.changes.filter((c) => c.at >= since).reverse();
  }
}

/** What of a Node's metadata says something about it: not the version or the field bookkeeping heartbeats touch. */
function stripVersion(o: KubeObject): unknown {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
  return meta;
}
