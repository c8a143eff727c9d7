// Network coordinates in decentralized mode: the agent's own coordinate (from
// its gossip links' ping/pong round trips, coordinates/agent-coordinates.ts)
// goes into the fleet document under its member's key, and every member's
// published coordinate comes out as a ClusterCoordinate object on this
// member (source "agents"), with the round trip this agent measured to it and
// the one the coordinates predict — so `kubectl get ccoord` and `fedfeat
// status` on any member show the fleet's distances from that member. Both
// writes follow the publish policy (coordinates/publish-policy.ts): a
// document change stays in its history forever, an object write costs the
// API server.
import type * as A from '@automerge/automerge';
import { ccoordPath, fromMilliseconds, renderAgentClusterCoordinate, toMilliseconds, type ClusterCoordinateObject } from '../api/cluster-coordinate.js';
import type { AgentCoordinates } from '../coordinates/agent-coordinates.js';
import { DEFAULT_PUBLISH, shouldPublish, type PublishPolicy, type Published } from '../coordinates/publish-policy.js';
import type { Logger } from '../controller/logger.js';
import type { KubeClient } from '../kube-client/client.js';
import { fleetCoordinates, writeCoordinate, type FleetDoc } from './fleet-doc.js';
import type { Signer } from './fleet-signing.js';

export interface CoordinateSyncDeps {
  member: string;
  /** Signs the published coordinate (only this member's agent may write it); none: nothing is published. */
  signer?: Signer;
  coordinates: AgentCoordinates;
  doc: () => A.Doc<FleetDoc>;
  update: (fn: (doc: A.Doc<FleetDoc>) => A.Doc<FleetDoc>) => void;
  /** Round trips timed so far: nothing is published before the first. */
  samples: () => number;
  client: () => KubeClient;
  fieldManager: string;
  policy?: PublishPolicy;
  log: Logger;
  now?: () => Date;
}

export class CoordinateSync {
  private lastOwn?: Published;
  private readonly lastWritten = new Map<string, Published>();
  private disabled?: string;

  constructor(private readonly d: CoordinateSyncDeps) {}

  /** Stops writing objects (e.g. the CRD could not be installed); the document still carries the coordinate. */
  disableObjects(reason: string): void {
    this.disabled = reason;
    this.d.log.warn('ClusterCoordinate objects not written on this member', { reason });
  }

  async tick(): Promise<void> {
    const now = (this.d.now ?? (() => new Date()))();
    const policy = this.d.policy ?? DEFAULT_PUBLISH;
    const own = this.d.coordinates.own();
    const signer = this.d.signer;
    if (this.d.samples() > 0 && signer) {
      const p: Published = { predictedRTT: this.d.coordinates.meanPredictedRTT(), error: own.error, at: now.getTime() };
      if (shouldPublish(this.lastOwn, p, policy)) {
        this.d.update((doc) => writeCoordinate(doc, { member: this.d.member, coordinate: toMilliseconds(own), samples: this.d.coordinates.peerCount(), updated: now.toISOString() }, signer));
        this.lastOwn = p;
      }
    }
    if (this.disabled) return;
    for (const [member, published] of fleetCoordinates(this.d.doc())) {
      const theirs = member === this.d.member ? own : fromMilliseconds(published.coordinate);
      const view = member === this.d.member
        ? { coordinate: own, measuredRTT: 0, predictedRTT: 0, samples: 0 }
        : this.d.coordinates.view(member, theirs);
      if (!view) continue;
      const p: Published = { predictedRTT: view.predictedRTT, error: view.coordinate.error, at: now.getTime() };
      if (!shouldPublish(this.lastWritten.get(member), p, policy)) continue;
      const obj: ClusterCoordinateObject = renderAgentClusterCoordinate(this.d.member, member, view, own, now);
      try {
        await this.d.client().apply(ccoordPath(member), obj, this.d.fieldManager);
        this.lastWritten.set(member, p);
      } catch (e) {
        this.d.log.warn('could not write ClusterCoordinate; retrying next round', { peer: member, error: (e as Error).message });
        return;
      }
    }
  }
}
