// An agent's network coordinate in decentralized mode, from agent-to-agent
// round trips. Every gossip link times a ping and its pong (decentralized/
// gossip.ts); the pong carries the peer's own coordinate, and this agent moves
// its coordinate toward where the sample says it is (serf's Client.Update: only
// the side that measured moves; the peer moves on its own pings). Peers'
// coordinates, as the fleet document or the pongs last carried them, give the
// predicted RTT from this agent to any member, also ones it never linked to —
// member-to-member distances the host-only samples cannot give.
import { DEFAULT_VIVALDI, distance, isValidCoordinate, VivaldiNode, type Coordinate, type VivaldiConfig } from './vivaldi.js';
import type { MemberCoordinateView } from './member-coordinates.js';

export interface PeerCoordinateSource {
  /** This agent's coordinate, sent in every pong. */
  own(): Coordinate;
  /** One timed round trip to `peer`, whose coordinate the pong carried. */
  sample(peer: string, theirs: Coordinate, rttSeconds: number): boolean;
}

export class AgentCoordinates implements PeerCoordinateSource {
  private readonly node: VivaldiNode;
  private readonly peers = new Map<string, { coordinate: Coordinate; recent: number[]; samples: number }>();

  constructor(private readonly config: VivaldiConfig = DEFAULT_VIVALDI, random: () => number = Math.random, start?: Coordinate) {
    this.node = new VivaldiNode(config, random, start);
  }

  own(): Coordinate {
    return this.node.coordinate;
  }

  sample(peer: string, theirs: Coordinate, rttSeconds: number): boolean {
    if (!isValidCoordinate(theirs, this.config) || !this.node.update(peer, theirs, rttSeconds)) return false;
    const p = this.peers.get(peer) ?? { coordinate: theirs, recent: [], samples: 0 };
    p.coordinate = theirs;
    p.recent.push(rttSeconds);
    if (p.recent.length > this.config.latencyFilterSize) p.recent.shift();
    p.samples++;
    this.peers.set(peer, p);
    return true;
  }

  /** What this agent measured to `peer` (undefined if never) and what the coordinates predict. */
  view(peer: string, theirs?: Coordinate): MemberCoordinateView | undefined {
    const p = this.peers.get(peer);
    const coordinate = theirs && isValidCoordinate(theirs, this.config) ? theirs : p?.coordinate;
    if (!coordinate) return undefined;
    const sorted = [...(p?.recent ?? [])].sort((a, b) => a - b);
    return {
      coordinate,
      measuredRTT: sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0,
      predictedRTT: distance(this.node.coordinate, coordinate),
      samples: p?.samples ?? 0,
    };
  }

  /** Mean predicted RTT to the peers measured: one number that moves when this agent's position does. */
  meanPredictedRTT(): number {
    const all = [...this.peers.values()].map((p) => distance(this.node.coordinate, p.coordinate));
    return all.length ? all.reduce((a, b) => a + b, 0) / all.length : 0;
  }

  /** Peers with at least one timed round trip. */
  peerCount(): number {
    return this.peers.size;
  }

  forget(peer: string): void {
    this.peers.delete(peer);
    this.node.forget(peer);
  }
}
