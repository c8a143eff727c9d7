// Members' network coordinates from the health probes, written to the host
// as ClusterCoordinate objects. Each successful /healthz round trip is one
// Vivaldi sample; an object is written only when the estimate moved enough
// to matter (coordinates/publish-policy.ts), through a small rate-limited
// queue. A new leader starts from the stored coordinates, so a failover
// neither forgets what was learned nor rewrites every object.
import PQueue from 'p-queue';
import { ccoordPath, fromMilliseconds, renderClusterCoordinate, type ClusterCoordinateObject } from '../api/cluster-coordinate.js';
import { KUBEFED_NAMESPACE, type KubeFedCluster } from '../api/kubefed.js';
import { MemberCoordinates } from '../coordinates/member-coordinates.js';
import { DEFAULT_PUBLISH, shouldPublish, type PublishPolicy, type Published } from '../coordinates/publish-policy.js';
import type { KubeClient } from '../kube-client/client.js';
import type { Informer } from './informer.js';
import type { Logger } from './logger.js';

export interface CoordinatePublisherOptions {
  fieldManager: string;
  policy?: PublishPolicy;
  /** Most writes started per second (over all members). */
  writesPerSecond?: number;
}

export class CoordinatePublisher {
  readonly coordinates: MemberCoordinates;
  private readonly published = new Map<string, Published>();
  private readonly pending = new Set<string>();
  private readonly queue: PQueue;
  readonly stats = { samples: 0, refused: 0, written: 0, failed: 0 };

  constructor(
    private readonly host: KubeClient,
    private readonly clusters: Informer<KubeFedCluster>,
    private readonly log: Logger,
    private readonly o: CoordinatePublisherOptions,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.coordinates = new MemberCoordinates();
    this.queue = new PQueue({ concurrency: 2, intervalCap: o.writesPerSecond ?? 10, interval: 1000 });
  }

  /** Seeds coordinates and "already published" from the stored objects (one list, at start). */
  async restore(): Promise<void> {
    const list = await this.host.list<ClusterCoordinateObject>(ccoordPath());
    // The members' coordinates are relative to the host's: start from the one written last.
    const newest = list.items.filter((o) => o.source === 'host' && o.hostCoordinate)
      .sort((a, b) => (Date.parse(b.updateTime) || 0) - (Date.parse(a.updateTime) || 0))[0];
    if (newest?.hostCoordinate) this.coordinates.seedHost(fromMilliseconds(newest.hostCoordinate));
    for (const o of list.items) {
      if (o.source !== 'host' || !o.coordinate) continue;
      if (!this.coordinates.seed(o.cluster, fromMilliseconds(o.coordinate))) continue;
      this.published.set(o.cluster, { predictedRTT: o.predictedRTTMilliseconds / 1000, error: o.coordinate.error, at: Date.parse(o.updateTime) || 0 });
    }
  }

  /** One RTT sample (seconds) from a successful health probe. */
  sample(member: string, rttSeconds: number): void {
    this.stats.samples++;
    if (!this.coordinates.observe(member, rttSeconds)) {
      this.stats.refused++;
      return;
    }
    const view = this.coordinates.view(member)!;
    const now = { predictedRTT: view.predictedRTT, error: view.coordinate.error, at: this.now().getTime() };
    if (this.pending.has(member) || !shouldPublish(this.published.get(member), now, this.o.policy ?? DEFAULT_PUBLISH)) return;
    // Counted as published when queued: samples arriving before the write completes must not queue more.
    this.published.set(member, now);
    this.pending.add(member);
    void this.queue.add(() => this.write(member));
  }

  forget(member: string): void {
    this.coordinates.forget(member);
    this.published.delete(member);
  }

  async onIdle(): Promise<void> {
    await this.queue.onIdle();
  }

  private async write(member: string): Promise<void> {
    this.pending.delete(member);
    const kfc = this.clusters.get(`${KUBEFED_NAMESPACE}/${member}`);
    const view = this.coordinates.view(member);
    if (!kfc?.metadata.uid || !view) {
      this.published.delete(member); // unregistered meanwhile: nothing to own the object
      return;
    }
    const obj = renderClusterCoordinate({ name: member, uid: kfc.metadata.uid }, view, this.coordinates.hostCoordinate, this.now());
    try {
      await this.host.apply(ccoordPath(member), obj, this.o.fieldManager);
      this.stats.written++;
    } catch (e) {
      this.published.delete(member); // the next sample tries again
      this.stats.failed++;
      this.log.warn('could not write ClusterCoordinate', { cluster: member, error: (e as Error).message });
    }
  }
}
