// Vivaldi network coordinates (Dabek et al., SIGCOMM 2004) with the
// refinements HashiCorp serf uses in production: a height term for the access
// link, error-weighted updates, a per-peer median latency filter, an
// adjustment term learned from recent residuals, and gravity toward the
// origin so coordinates do not drift away as a whole. Written here rather
// than taken from a package: no maintained npm package implements this
// variant, and it is a page of arithmetic. Units are seconds throughout.

export interface VivaldiConfig {
  /** Euclidean dimensions (height comes on top). */
  dimensionality: number;
  /** Largest error estimate a coordinate may carry (a new coordinate starts there). */
  errorMax: number;
  /** How fast the error estimate follows new samples (c_e in the paper). */
  ce: number;
  /** How far a sample moves the coordinate (c_c in the paper). */
  cc: number;
  /** Residuals kept for the adjustment term; 0 turns adjustment off. */
  adjustmentWindow: number;
  /** Smallest height (seconds): every path has some access-link cost. */
  heightMin: number;
  /** RTT samples per peer whose median is used: one slow sample does not move a coordinate. */
  latencyFilterSize: number;
  /** Gravity's reach (seconds): the pull toward the origin grows with (distance/ρ)². */
  gravityRho: number;
}

/** serf's defaults (coordinate.DefaultConfig), which Consul runs on large fleets. */
export const DEFAULT_VIVALDI: VivaldiConfig = {
  dimensionality: 8,
  errorMax: 1.5,
  ce: 0.25,
  cc: 0.25,
  adjustmentWindow: 20,
  heightMin: 10e-6,
  latencyFilterSize: 3,
  gravityRho: 150,
};

export interface Coordinate {
  vec: number[];
  /** Estimated relative error of this coordinate's predictions (0 = exact). */
  error: number;
  /** Learned offset added to distances (seconds; may be negative). */
  adjustment: number;
  height: number;
}

const ZERO = 1e-6;

export function newCoordinate(config: VivaldiConfig = DEFAULT_VIVALDI): Coordinate {
  return { vec: new Array<number>(config.dimensionality).fill(0), error: config.errorMax, adjustment: 0, height: config.heightMin };
}

function magnitude(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

function diff(a: number[], b: number[]): number[] {
  if (a.length !== b.length) throw new Error(`coordinate dimensions differ (${a.length} vs ${b.length})`);
  return a.map((x, i) => x - b[i]!);
}

/** Distance without the adjustment terms: Euclidean part plus both heights. */
export function rawDistance(a: Coordinate, b: Coordinate): number {
  return magnitude(diff(a.vec, b.vec)) + a.height + b.height;
}

/** Predicted RTT between two coordinates (seconds). */
export function distance(a: Coordinate, b: Coordinate): number {
  const raw = rawDistance(a, b);
  const adjusted = raw + a.adjustment + b.adjustment;
  // A negative adjustment may only shorten, never invert, a distance.
  return adjusted > 0 ? adjusted : raw;
}

/** A coordinate is usable only if every number in it is finite (NaN from a bad sample would spread through a fleet). */
export function isValidCoordinate(c: Coordinate, config: VivaldiConfig = DEFAULT_VIVALDI): boolean {
  return c.vec.length === config.dimensionality &&
    [...c.vec, c.error, c.adjustment, c.height].every(Number.isFinite);
}

/**
 * Pure: `c` pushed by `force` (seconds; positive pushes away from `other`,
 * negative pulls toward it). Where the two coincide a random direction is
 * taken, as Vivaldi does, from the injected `random`.
 */
export function applyForce(c: Coordinate, force: number, other: Coordinate, config: VivaldiConfig, random: () => number): Coordinate {
  let d = diff(c.vec, other.vec);
  let mag = magnitude(d);
  if (mag < ZERO) {
    d = Array.from({ length: d.length }, () => random() - 0.5);
    mag = magnitude(d);
    if (mag < ZERO) { d = d.map((_, i) => (i === 0 ? 1 : 0)); mag = 1; }
    // Coincident points: the heights carry all of the distance; leave them.
    return { ...c, vec: c.vec.map((x, i) => x + (d[i]! / mag) * force) };
  }
  const height = Math.max(config.heightMin, c.height + ((c.height + other.height) * force) / mag);
  return { ...c, vec: c.vec.map((x, i) => x + (d[i]! / mag) * force), height };
}

/**
 * One node's view: its coordinate, the latency filter per peer and the
 * adjustment window. `update` takes the peer's coordinate and a measured RTT,
 * as serf's Client.Update does.
 */
export class VivaldiNode {
  private coord: Coordinate;
  private readonly samples = new Map<string, number[]>();
  private readonly residuals: number[];
  private residualIndex = 0;
  private readonly origin: Coordinate;

  constructor(private readonly config: VivaldiConfig = DEFAULT_VIVALDI, private readonly random: () => number = Math.random, start?: Coordinate) {
    this.coord = start && isValidCoordinate(start, config) ? structuredClone(start) : newCoordinate(config);
    // A restored coordinate keeps its adjustment: a window of residuals that averages to it
    // (zeros would halve it away within a few samples and move every prediction).
    this.residuals = new Array<number>(config.adjustmentWindow).fill(2 * this.coord.adjustment);
    this.origin = { ...newCoordinate(config), error: config.errorMax };
  }

  get coordinate(): Coordinate {
    return structuredClone(this.coord);
  }

  /** Predicted RTT to a peer's coordinate (seconds). */
  distanceTo(other: Coordinate): number {
    return distance(this.coord, other);
  }

  /** Forget a peer's samples (it left). */
  forget(peer: string): void {
    this.samples.delete(peer);
  }

  /**
   * Take one RTT sample (seconds) to `peer`, whose coordinate is `other`.
   * Refuses what would corrupt the coordinate (a non-finite or negative RTT,
   * an RTT over 10 s, an invalid peer coordinate); a refused sample leaves
   * the coordinate unchanged and returns false.
   */
  update(peer: string, other: Coordinate, rttSeconds: number): boolean {
    if (!Number.isFinite(rttSeconds) || rttSeconds < 0 || rttSeconds > 10) return false;
    if (!isValidCoordinate(other, this.config)) return false;
    const rtt = this.filter(peer, rttSeconds);
    const before = this.coord;
    this.updateVivaldi(other, rtt);
    this.updateAdjustment(other, rtt);
    this.updateGravity();
    if (!isValidCoordinate(this.coord, this.config)) {
      this.coord = before;
      return false;
    }
    return true;
  }

  private filter(peer: string, rtt: number): number {
    const s = this.samples.get(peer) ?? [];
    s.push(rtt);
    if (s.length > this.config.latencyFilterSize) s.shift();
    this.samples.set(peer, s);
    const sorted = [...s].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  private updateVivaldi(other: Coordinate, rttIn: number): void {
    const rtt = Math.max(rttIn, ZERO);
    const dist = distance(this.coord, other);
    const wrongness = Math.abs(dist - rtt) / rtt;
    const totalError = Math.max(this.coord.error + other.error, ZERO);
    const weight = this.coord.error / totalError;
    const error = Math.min(this.config.errorMax, this.config.ce * weight * wrongness + this.coord.error * (1 - this.config.ce * weight));
    const force = this.config.cc * weight * (rtt - dist);
    this.coord = { ...applyForce(this.coord, force, other, this.config, this.random), error };
  }

  private updateAdjustment(other: Coordinate, rtt: number): void {
    const n = this.config.adjustmentWindow;
    if (n === 0) return;
    // The raw distance: existing adjustments must not feed back into themselves.
    this.residuals[this.residualIndex] = rtt - rawDistance(this.coord, other);
    this.residualIndex = (this.residualIndex + 1) % n;
    // Half: both ends of a path carry an adjustment.
    this.coord = { ...this.coord, adjustment: this.residuals.reduce((a, b) => a + b, 0) / (2 * n) };
  }

  private updateGravity(): void {
    const dist = distance(this.origin, this.coord);
    const force = -1 * (dist / this.config.gravityRho) ** 2;
    this.coord = applyForce(this.coord, force, this.origin, this.config, this.random);
  }
}

/** Pure: median of |predicted − measured| / measured over every pair with a measured RTT > 0. */
export function medianRelativeError(coords: Coordinate[], rtt: number[][]): number {
  const errs: number[] = [];
  for (let i = 0; i < coords.length; i++) {
    for (let j = i + 1; j < coords.length; j++) {
      const m = rtt[i]?.[j];
      if (m === undefined || m <= 0) continue;
      errs.push(Math.abs(distance(coords[i]!, coords[j]!) - m) / m);
    }
  }
  if (!errs.length) return NaN;
  errs.sort((a, b) => a - b);
  const mid = Math.floor(errs.length / 2);
  return errs.length % 2 ? errs[mid]! : (errs[mid - 1]! + errs[mid]!) / 2;
}
