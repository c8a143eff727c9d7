// Coordinates for members from the host's own health probes. The host is one
// Vivaldi node and every member another; each /healthz round trip is one RTT
// sample seen from both ends (serf runs Vivaldi on both ends of a probe too).
// With samples only between the host and members, members are placed by their
// distance to the host: the predicted RTT between two members is then an
// upper bound through the host, not a measurement. Agent-to-agent samples in
// decentralized mode feed the same nodes to place members among themselves.
import { DEFAULT_VIVALDI, distance, isValidCoordinate, VivaldiNode, type Coordinate, type VivaldiConfig } from './vivaldi.js';

export interface MemberCoordinateView {
  coordinate: Coordinate;
  /** Median of the last samples (the latency filter's view), seconds. */
  measuredRTT: number;
  /** What the coordinates predict between the host and the member, seconds. */
  predictedRTT: number;
  samples: number;
}

const HOST = '\u0000host'; // cannot collide with a Kubernetes object name

export class MemberCoordinates {
  private host: VivaldiNode;
  private readonly members = new Map<string, { node: VivaldiNode; recent: number[]; samples: number }>();

  constructor(private readonly config: VivaldiConfig = DEFAULT_VIVALDI, private readonly random: () => number = Math.random) {
    this.host = new VivaldiNode(config, random);
  }

  get hostCoordinate(): Coordinate {
    return this.host.coordinate;
  }

  /** Starts the host from a stored coordinate (so restored members' distances still hold); false if not usable. */
  seedHost(start: Coordinate): boolean {
    if (!isValidCoordinate(start, this.config)) return false;
    this.host = new VivaldiNode(this.config, this.random, start);
    return true;
  }

  /** Starts a member from a stored coordinate (a new leader keeps what the last one learned); false if it is not usable. */
  seed(member: string, start: Coordinate): boolean {
    if (!isValidCoordinate(start, this.config)) return false;
    this.members.set(member, { node: new VivaldiNode(this.config, this.random, start), recent: [], samples: 0 });
    return true;
  }

  /** One RTT sample (seconds) between the host and `member`; false if refused as implausible. */
  observe(member: string, rttSeconds: number): boolean {
    let m = this.members.get(member);
    if (!m) this.members.set(member, (m = { node: new VivaldiNode(this.config, this.random), recent: [], samples: 0 }));
    const hostBefore = this.host.coordinate;
    if (!m.node.update(HOST, hostBefore, rttSeconds)) return false;
    this.host.update(member, m.node.coordinate, rttSeconds);
    m.recent.push(rttSeconds);
    if (m.recent.length > this.config.latencyFilterSize) m.recent.shift();
    m.samples++;
    return true;
  }

  forget(member: string): void {
    this.members.delete(member);
    this.host.forget(member);
  }

  view(member: string): MemberCoordinateView | undefined {
    const m = this.members.get(member);
    if (!m) return undefined;
    if (!m.recent.length) return undefined; // seeded, not yet measured by this process
    const sorted = [...m.recent].sort((a, b) => a - b);
    const coordinate = m.node.coordinate;
    return { coordinate, measuredRTT: sorted[Math.floor(sorted.length / 2)]!, predictedRTT: distance(this.host.coordinate, coordinate), samples: m.samples };
  }

  names(): string[] {
    return [...this.members.keys()];
  }
}
