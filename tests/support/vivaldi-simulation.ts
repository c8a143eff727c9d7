// Simulated fleets for the Vivaldi tests and benchmark: RTT matrices of known
// shape (a grid, a star of access links, a fog topology) and a seeded gossip
// loop, so every run of a simulation is the same run.
import { DEFAULT_VIVALDI, VivaldiNode, type VivaldiConfig } from '../../coordinates/vivaldi.js';

/** mulberry32: a seeded generator, so every run of a simulation is the same run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every node samples one random peer per round, the way serf's gossip does. */
export function simulate(rtt: number[][], rounds: number, seed: number, noise = 0, config: VivaldiConfig = DEFAULT_VIVALDI): VivaldiNode[] {
  const random = seeded(seed);
  const nodes = rtt.map(() => new VivaldiNode(config, random));
  for (let r = 0; r < rounds; r++) {
    nodes.forEach((node, i) => {
      let j = Math.floor(random() * nodes.length);
      if (j === i) j = (j + 1) % nodes.length;
      const measured = rtt[i]![j]! * (1 + noise * (random() - 0.5) * 2);
      node.update(`n${j}`, nodes[j]!.coordinate, measured);
    });
  }
  return nodes;
}

export const ms = (x: number) => x / 1000;

export function gridMatrix(side: number, spacingMs: number): number[][] {
  const pts = Array.from({ length: side * side }, (_, k) => [k % side, Math.floor(k / side)] as const);
  return pts.map(([ax, ay]) => pts.map(([bx, by]) => ms(Math.hypot(ax - bx, ay - by) * spacingMs)));
}

/** Fog: 4 edge sites a few ms from each other behind access links, and a cloud site ~40 ms from all of them. */
export function fogMatrix(): number[][] {
  const edge = [[0, 0], [3, 0], [0, 4], [3, 4]] as const;
  const access = [1, 0.5, 1.5, 1]; // ms each site adds on every path (its access link)
  const n = edge.length + 1;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
    if (i === j) return 0;
    if (i === edge.length || j === edge.length) return ms(40 + access[Math.min(i, j)]!);
    return ms(Math.hypot(edge[i]![0] - edge[j]![0], edge[i]![1] - edge[j]![1]) + access[i]! + access[j]!);
  }));
}

/** A star: every path goes through one hub, so RTT(i, j) = link i + link j. */
export function starMatrix(linksMs: number[]): number[][] {
  return linksMs.map((a, i) => linksMs.map((b, j) => (i === j ? 0 : ms(a + b))));
}
