// Placement decision time: what the controller does per FeaturePlacement from
// its caches (placement/decide.ts filter with feature evidence, mck8s's
// capacity over every node and pod, then plan.ts), without I/O, at 5 members
// shaped like mck8s's testbed and at 40 members × 100 nodes. Nodes carry a
// fixed background load of pods; one FeatureConfig reports the required
// feature on every other member (the rest are excluded). Pods' requests are
// summed per node by the member cache as pod events arrive (not per decision).
//
//   node dist/benchmarks/placement-decision.js [--runs 200] [--pods-per-node 10]
import os from 'node:os';
import type { ClusterFeatureStatus, FeatureConfig } from '../api/featureconfig.js';
import type { FeaturePlacement } from '../api/featureplacement.js';
import { usageByNode, type NodeObject, type PodObject } from '../placement/capacity.js';
import { filterMembers, type MemberView } from '../placement/decide.js';
import type { FeatureConfigView } from '../placement/filter.js';
import { plan } from '../placement/plan.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 200);
const PODS_PER_NODE = arg('--pods-per-node', 10);

const node = (name: string, cpu: string, memory: string): NodeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, resourceVersion: '1' },
  spec: {}, status: { allocatable: { cpu, memory, pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const pod = (name: string, nodeName: string): PodObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'load', labels: { app: 'load' } },
  spec: { nodeName, containers: [{ name: 'c', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] }, status: { phase: 'Running' },
});

function federation(shape: Array<{ nodes: number; cpu: string; memory: string }>): { members: MemberView[]; views: FeatureConfigView[] } {
  const members: MemberView[] = shape.map((s, i) => {
    const name = `member-${i + 1}`;
    const nodes = Array.from({ length: s.nodes }, (_, k) => node(`${name}-n${k}`, s.cpu, s.memory));
    // What MemberCache keeps: per-node usage, updated by pod events (built here once, as the informer would).
    const used = usageByNode(nodes.flatMap((n) => Array.from({ length: PODS_PER_NODE }, (_, p) => pod(`${n.metadata.name}-p${p}`, n.metadata.name))));
    return { name, labels: {}, annotations: {}, ready: true, cache: { nodes, used, ownPods: [] } };
  });
  const fc: FeatureConfig = { apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: 'np' }, spec: { networkpolicy: true } };
  const results = new Map<string, ClusterFeatureStatus>(members.map((m, i) => [m.name, { name: m.name, features: [{ name: 'networkpolicy', state: i % 2 === 0 ? 'Supported' : 'Missing' }] }]));
  return { members, views: [{ fc, results }] };
}

const fp: FeaturePlacement = {
  apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeaturePlacement', metadata: { name: 'hello', namespace: 'default', uid: 'u' },
  spec: {
    replicas: 50, requiredFeatures: [{ name: 'networkpolicy' }], policy: 'WorstFit',
    template: { spec: { selector: { matchLabels: { app: 'hello' } }, template: { spec: { containers: [{ name: 'hello', resources: { requests: { cpu: '1000m', memory: '1024Mi' } } }] } } } },
  },
};

function measure(label: string, members: MemberView[], views: FeatureConfigView[]): string {
  const times: number[] = [];
  const cpu: number[] = [];
  let last = '';
  for (let r = 0; r < RUNS + 20; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    // As the controller does per decision: the node list copied out of the informer.
    const copied = members.map((m) => ({ ...m, cache: { ...m.cache!, nodes: [...m.cache!.nodes] } }));
    const filtered = filterMembers(fp, copied, views);
    const p = plan({ replicas: fp.spec.replicas, policy: 'WorstFit', type: 'Divided', overflow: 'Next', preferences: {}, qualified: filtered.qualified, current: {}, key: 'default/hello' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // CPU time of this process (user + system): what the decision costs, without the time other processes held the CPU.
    const c = process.cpuUsage(c0);
    if (r >= 20) {
      times.push(ms); // the first runs warm the JIT
      cpu.push((c.user + c.system) / 1000);
    }
    last = `${Object.keys(p.assignments).length} members used, ${filtered.excluded.length} excluded, ${p.unschedulable} unschedulable`;
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const q = (x: number, xs = times) => xs[Math.min(xs.length - 1, Math.floor(x * xs.length))]!.toFixed(2);
  const nodes = members.reduce((a, m) => a + m.cache!.nodes.length, 0);
  return `${label.padEnd(34)} ${String(nodes).padStart(6)} nodes ${String(nodes * PODS_PER_NODE).padStart(7)} pods   p50 ${q(0.5)} ms   p99 ${q(0.99)} ms   max ${times[times.length - 1]!.toFixed(2)} ms   cpu p50 ${q(0.5, cpu)} ms p99 ${q(0.99, cpu)} ms   load ${os.loadavg()[0]!.toFixed(1)}   (${last})`;
}

// mck8s's testbed: clusters 1 and 5 with five 4-core/16 GB workers, 2-4 with five 2-core/4 GB.
const testbed = federation([
  { nodes: 5, cpu: '4', memory: '16Gi' }, { nodes: 5, cpu: '2', memory: '4Gi' }, { nodes: 5, cpu: '2', memory: '4Gi' }, { nodes: 5, cpu: '2', memory: '4Gi' }, { nodes: 5, cpu: '4', memory: '16Gi' },
]);
const big = federation(Array.from({ length: 40 }, () => ({ nodes: 100, cpu: '8', memory: '32Gi' })));
process.stdout.write(`placement decision time (filter + capacity + plan from caches; ${RUNS} runs after 20 warm-up, ${PODS_PER_NODE} pods per node)\n`);
process.stdout.write(`${measure('5 members (mck8s testbed shape)', testbed.members, testbed.views)}\n`);
process.stdout.write(`${measure('40 members x 100 nodes', big.members, big.views)}\n`);
