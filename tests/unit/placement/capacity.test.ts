import { memberCapacity, nodeFit, nodesFree, nodeUsable, podRequests, type NodeObject, type PodObject } from '../../../placement/capacity.js';

const node = (name: string, cpu: string, memory: string, extra: Partial<NodeObject['spec']> = {}, ready = 'True'): NodeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name },
  spec: { ...extra },
  status: { allocatable: { cpu, memory, pods: '110' }, conditions: [{ type: 'Ready', status: ready }] },
});
const pod = (name: string, nodeName: string | undefined, cpu: string, memory: string, phase = 'Running'): PodObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', resources: { requests: { cpu, memory } } }] },
  status: { phase },
});
const byNode = (pods: PodObject[]) => {
  const m = new Map<string, PodObject[]>();
  for (const p of pods) if (p.spec?.nodeName) m.set(p.spec.nodeName, [...(m.get(p.spec.nodeName) ?? []), p]);
  return m;
};

describe('capacity (mck8s estimate)', () => {
  const hello = podRequests({ containers: [{ name: 'hello', resources: { requests: { cpu: '1000m', memory: '1024Mi' } } }] });

  it("reads mck8s's example pod: 1000m CPU and 1024Mi", () => {
    expect(hello).toEqual({ cpu: 1000, memory: 1024 * 2 ** 20 });
  });

  it('gives the testbed clusters 20 (5 × 4 cores/16 GB) and 10 (5 × 2 cores/4 GB) replicas of it', () => {
    const big = Array.from({ length: 5 }, (_, i) => node(`big-${i}`, '4', '16Gi'));
    const small = Array.from({ length: 5 }, (_, i) => node(`small-${i}`, '2', '4Gi'));
    expect(memberCapacity(nodesFree(big, new Map()), hello)).toBe(20);
    expect(memberCapacity(nodesFree(small, new Map()), hello)).toBe(10);
  });

  it('takes the smaller of the CPU and memory fits per node, after non-terminated pods', () => {
    const nodes = [node('a', '4', '3Gi'), node('b', '4', '16Gi')];
    const pods = [pod('x', 'b', '2500m', '1Gi'), pod('done', 'b', '4', '16Gi', 'Succeeded'), pod('failed', 'a', '4', '3Gi', 'Failed'), pod('pending', undefined, '4', '4Gi', 'Pending')];
    const free = nodesFree(nodes, byNode(pods));
    expect(free.map((f) => nodeFit(f, hello))).toEqual([3, 1]); // a: memory 3; b: 1.5 cores free
    expect(memberCapacity(free, hello)).toBe(4);
  });

  it("does not count the placement's own pods as used", () => {
    const pods = [pod('mine-1', 'a', '1', '1Gi'), pod('mine-2', 'a', '1', '1Gi'), pod('other', 'a', '1', '1Gi')];
    const free = nodesFree([node('a', '4', '16Gi')], byNode(pods), (p) => p.metadata.name.startsWith('mine'));
    expect(memberCapacity(free, hello)).toBe(3);
  });

  it('is never negative on an overcommitted node, and free pod slots bound a pod without requests', () => {
    const free = nodesFree([node('a', '1', '1Gi')], byNode([pod('big', 'a', '2', '2Gi')]));
    expect(nodeFit(free[0]!, hello)).toBe(0);
    expect(nodeFit({ name: 'n', cpu: 1000, memory: 1, pods: 7 }, { cpu: 0, memory: 0 })).toBe(7);
  });

  it('counts requests as the scheduler does: init containers, limits as requests, overhead', () => {
    expect(podRequests({
      containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '100Mi' } } }, { name: 'b', resources: { limits: { cpu: '200m', memory: '1Gi' } } }],
      initContainers: [{ name: 'i', resources: { requests: { cpu: '2', memory: '10Mi' } } }],
      overhead: { cpu: '50m' },
    })).toEqual({ cpu: 2050, memory: 1124 * 2 ** 20 });
  });

  it('skips nodes that are not Ready, cordoned, or tainted against the pod', () => {
    expect(nodeUsable(node('a', '1', '1Gi'))).toBe(true);
    expect(nodeUsable(node('a', '1', '1Gi', {}, 'False'))).toBe(false);
    expect(nodeUsable(node('a', '1', '1Gi', { unschedulable: true }))).toBe(false);
    const kwok = node('k', '1', '1Gi', { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] });
    expect(nodeUsable(kwok)).toBe(false);
    expect(nodeUsable(kwok, [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }])).toBe(true);
    expect(nodeUsable(kwok, [{ key: 'kwok.x-k8s.io/node', operator: 'Equal', value: 'other' }])).toBe(false);
    expect(nodeUsable(kwok, [{ operator: 'Exists' }])).toBe(true);
    expect(nodeUsable(node('p', '1', '1Gi', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }))).toBe(true);
  });
});
