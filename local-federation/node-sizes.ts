// Per-member KWOK node sizes for the local federation (`dev up --node-size`):
// "member-1=4/16Gi,member-5=4/16Gi,*=2/4Gi" gives members 1 and 5 nodes of 4
// CPUs and 16 GiB and every other member nodes of 2 CPUs and 4 GiB (mck8s's
// testbed). Members not named, without "*", keep the default size. Pure.
import { parseQuantity } from '../daemonset-scripts/kubelet-agent/kubelet-rules.js';

export interface NodeSize {
  /** CPU quantity as the node's allocatable says it ("4", "2500m"). */
  cpu: string;
  /** Memory quantity ("16Gi"). */
  memory: string;
}

/** What every KWOK node had before sizes could be chosen (and still has by default). */
export const DEFAULT_NODE_SIZE: NodeSize = { cpu: '8', memory: '32Gi' };

/** Key for "every member not named". */
export const ANY_MEMBER = '*';

/**
 * Parses `MEMBER=CPU/MEMORY,...` (MEMBER is member-N or "*"). `members`: how many members the federation has, so a
 * member that will not exist is refused rather than ignored. Throws an Error naming the bad entry.
 */
export function parseNodeSizes(spec: string, members: number): Record<string, NodeSize> {
  const out: Record<string, NodeSize> = {};
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=([^/\s]+)\/(\S+)$/.exec(raw);
    if (!m) throw new Error(`--node-size entry "${raw}" is not MEMBER=CPU/MEMORY (e.g. member-1=4/16Gi or *=2/4Gi)`);
    const [, member, cpu, memory] = m as unknown as [string, string, string, string];
    const idx = /^member-(\d+)$/.exec(member);
    if (member !== ANY_MEMBER && !(idx && Number(idx[1]) >= 1 && Number(idx[1]) <= members)) {
      throw new Error(`--node-size entry "${raw}": ${member} is not one of member-1..member-${members} or "*"`);
    }
    if (out[member]) throw new Error(`--node-size names ${member} twice`);
    const c = parseQuantity(cpu);
    if (c === undefined || !(c > 0)) throw new Error(`--node-size entry "${raw}": CPU "${cpu}" is not a positive quantity (e.g. 4 or 2500m)`);
    const mem = parseQuantity(memory);
    if (mem === undefined || !(mem >= 2 ** 20)) throw new Error(`--node-size entry "${raw}": memory "${memory}" is not a quantity of at least 1Mi (e.g. 16Gi)`);
    out[member] = { cpu, memory };
  }
  return out;
}

/** The size of one member's KWOK nodes. */
export function nodeSizeOf(sizes: Record<string, NodeSize> | undefined, member: string): NodeSize {
  return sizes?.[member] ?? sizes?.[ANY_MEMBER] ?? DEFAULT_NODE_SIZE;
}

/** "member-1=4/16Gi,..." back from parsed sizes (for messages and state). */
export const formatNodeSizes = (sizes: Record<string, NodeSize>) => Object.entries(sizes).map(([m, s]) => `${m}=${s.cpu}/${s.memory}`).join(',');
