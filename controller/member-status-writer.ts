// Writes each member's ClusterFeatureStatus object to the host: only when it
// differs from what is stored (the informer's copy), at most one pending
// write per object (the latest wins), through a rate-limited queue so
// thousands of members reporting at once never flood the host API server.
import { isDeepStrictEqual } from 'node:util';
import PQueue from 'p-queue';
import { cfsPath, type ClusterFeatureStatusObject } from '../api/cluster-feature-status.js';
import type { KubeClient } from '../kube-client/client.js';
import type { Informer } from './informer.js';
import type { Logger } from './logger.js';

export interface MemberStatusWriterOptions {
  /** Most writes started per second. */
  writesPerSecond: number;
  /** Most writes in flight. */
  concurrency: number;
  fieldManager: string;
}

export const DEFAULT_WRITER: Omit<MemberStatusWriterOptions, 'fieldManager'> = { writesPerSecond: 50, concurrency: 4 };

type Pending = { kind: 'apply'; obj: ClusterFeatureStatusObject } | { kind: 'delete' };

/** The fields the controller owns, to compare desired with stored (pure). */
export function sameContent(a: ClusterFeatureStatusObject, b: ClusterFeatureStatusObject | undefined): boolean {
  if (!b) return false;
  const pick = (o: ClusterFeatureStatusObject) => ({
    featureConfig: o.featureConfig, cluster: o.cluster, observedGeneration: o.observedGeneration, reachable: o.reachable,
    summary: o.summary, state: o.state, features: o.features, nodes: o.nodes, labels: o.metadata.labels, owners: o.metadata.ownerReferences?.map((r) => r.uid),
  });
  return isDeepStrictEqual(pick(a), pick(b));
}

export class MemberStatusWriter {
  private readonly pending = new Map<string, Pending>();
  private readonly queue: PQueue;
  readonly stats = { applied: 0, deleted: 0, skipped: 0, failed: 0 };

  constructor(
    private readonly host: KubeClient,
    private readonly stored: Informer<ClusterFeatureStatusObject>,
    private readonly log: Logger,
    private readonly o: MemberStatusWriterOptions,
  ) {
    this.queue = new PQueue({ concurrency: o.concurrency, intervalCap: o.writesPerSecond, interval: 1000 });
  }

  /** Writes obj unless the stored copy already says the same. */
  write(obj: ClusterFeatureStatusObject): void {
    const name = obj.metadata.name;
    if (!this.pending.has(name) && sameContent(obj, this.stored.get(`${obj.metadata.namespace}/${name}`))) {
      this.stats.skipped++;
      return;
    }
    this.schedule(name, { kind: 'apply', obj });
  }

  /** Deletes the member's object (member deselected or unregistered). */
  remove(namespace: string, name: string): void {
    if (!this.pending.has(name) && !this.stored.get(`${namespace}/${name}`)) return;
    this.schedule(name, { kind: 'delete' });
  }

  /** Writes waiting or in flight. */
  get backlog(): number {
    return this.pending.size;
  }

  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }

  private schedule(name: string, next: Pending): void {
    const queued = this.pending.has(name);
    this.pending.set(name, next); // the latest desired state wins
    if (queued) return;
    void this.queue.add(async () => {
      const p = this.pending.get(name);
      this.pending.delete(name);
      if (!p) return;
      try {
        if (p.kind === 'apply') {
          if (sameContent(p.obj, this.stored.get(`${p.obj.metadata.namespace}/${name}`))) {
            this.stats.skipped++;
            return;
          }
          await this.host.apply(cfsPath(name), p.obj, this.o.fieldManager);
          this.stats.applied++;
        } else {
          await this.host.delete(cfsPath(name));
          this.stats.deleted++;
        }
      } catch (e) {
        this.stats.failed++;
        // The next reconcile of the member writes it again (level-triggered); no retry loop here.
        this.log.warn('could not write ClusterFeatureStatus', { object: name, error: (e as Error).message });
      }
    });
  }
}
