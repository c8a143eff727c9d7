// Drift watches on one member: nodes (joining, replaced), DaemonSets (CNI,
// node agents) and CRDs (replicated APIs). Any change re-probes the member;
// changes made by someone other than fedfeat are remembered with the field
// manager that made them, so a lost feature can be blamed in an Event.
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

const WATCHED = [
  { kind: 'Node', path: '/api/v1/nodes' },
  { kind: 'DaemonSet', path: '/apis/apps/v1/daemonsets' },
  { kind: 'CustomResourceDefinition', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions' },
] as const;

export class MemberWatch {
  private readonly informers: Array<Informer<KubeObject>> = [];
  private readonly changes: ObservedChange[] = [];

  constructor(
    readonly cluster: string,
    client: KubeClient,
    log: Logger,
    private readonly ownManagers: string[],
    onChange: (why: string) => void,
  ) {
    for (const w of WATCHED) {
      const inf = new Informer<KubeObject>(client, w.path, log.child({ cluster, watch: w.kind }));
      const note = (change: ObservedChange['change'], obj: KubeObject, significant: boolean) => {
        if (!inf.hasSynced()) return; // the initial list is not a change
        const name = obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
        const manager = lastManager(obj);
        if (manager && !this.ownManagers.includes(manager)) {
          this.changes.push({ kind: w.kind, name, change, manager, at: Date.now() });
          if (this.changes.length > 50) this.changes.shift();
        }
        if (significant) onChange(`${w.kind} ${name} ${change}`);
      };
      inf.addHandlers({
        onAdd: (o) => note('added', o, true),
        // Node status heartbeats change resourceVersion every few seconds; only spec/metadata changes matter.
        onUpdate: (a, b) => note('modified', b, w.kind !== 'Node' || JSON.stringify(stripStatus(a)) !== JSON.stringify(stripStatus(b))),
        onDelete: (o) => note('deleted', o, true),
      });
      this.informers.push(inf);
    }
  }

  start(): void {
    for (const i of this.informers) i.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  /** Changes by others in the last windowMs, newest first. */
  recentForeignChanges(windowMs = 10 * 60_000): ObservedChange[] {
    const since = Date.now() - windowMs;
    return this.changes.filter((c) => c.at >= since).reverse();
  }
}

function stripStatus(o: KubeObject): unknown {
  const { status: _status, ...rest } = o as KubeObject & { status?: unknown };
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = rest.metadata;
  return { ...rest, metadata: meta };
}
