// Kubelet tactic benchmark: one member with the real node plus N KWOK nodes.
// Times the rollout of cpuManagerPolicy static one node at a time: the real
// node (agent pod, kubelet restart, Ready with the new /configz) and the whole
// member with the KWOK nodes' effect SIMULATED (they have no kubelet), and
// counts failed requests to a pod on the real node during its restart.
//
//   node dist/benchmarks/kubelet-rollout.js [--fake-nodes 20] [--max-unavailable 1]
import type { KubeFedCluster } from '../api/kubefed.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL } from '../api/kubefed.js';
import { createLogger } from '../controller/logger.js';
import { KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { disruption, httpLoop } from '../evaluation/load.js';
import { down, up } from '../local-federation/launcher.js';
import { KubeletConfigReconfigurator } from '../reconfigurators/kubelet-config/reconfigurator.js';
import type { MemberContext } from '../reconfigurators/types.js';
import { sleep } from '../kube-client/wait.js';
import { probeThenReconfigure } from '../reconfigurators/run.js';
import { SimulatedKubelets } from '../tests/support/simulated-kubelets.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const fake = arg('fake-nodes', 20);
const maxUnavailable = arg('max-unavailable', 1);

const state = await up({ instance: 'benchkl', members: 1, nodesPerMember: fake, realNode: 'on', realNodes: 1, hostNode: false, quiet: true });
const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
const member = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.name === 'member-1')!.kubeconfig);
try {
  const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, 'member-1'));
  const ctx: MemberContext = {
    cluster: 'member-1', annotations: kfc.metadata.annotations ?? {}, client: member, log: createLogger('warn'), signal: new AbortController().signal,
    options: { nodeProbeConcurrency: 8, requestTimeoutMs: 10_000, simulatedNodeAnnotation: 'kwok.x-k8s.io/node=fake' }, now: () => new Date(), event: () => undefined,
  };
  const node = state.realNodes![0]!.nodeName;
  // A web pod on the real node, hit every 20 ms during the rollout.
  await member.post('/api/v1/namespaces/default/pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' },
    spec: { nodeName: node, containers: [{ name: 'web', image: 'fedfeat.local/tools:1.0', command: ['sh', '-c', 'echo ok > /tmp/i && httpd -f -p 8080 -h /tmp'] }] },
  });
  let ip = '';
  while (!ip) {
    ip = (await member.get<KubeObject & { status?: { podIP?: string; phase?: string } }>('/api/v1/namespaces/default/pods/web')).status?.podIP ?? '';
    await sleep(300);
  }
  await sleep(1000);
  const loop = httpLoop(ip, 8080, '/i', 20);
  const feature = { name: 'cpumanagementpolicy' as const, kubelet: { cpuManagerPolicy: 'static' as const }, maxUnavailableNodes: maxUnavailable };
  const t0 = performance.now();
  await probeThenReconfigure(new KubeletConfigReconfigurator(), ctx, feature);
  const realSeconds = (performance.now() - t0) / 1000;
  const { ok, failed, longestGapMs: gap } = disruption(await loop.stop());
  const t1 = performance.now();
  await probeThenReconfigure(new KubeletConfigReconfigurator({ agentTimeoutSeconds: 60, nodeReadyTimeoutSeconds: 60 }, new SimulatedKubelets('kwok.x-k8s.io/node=fake')), ctx, feature);
  const fakeSeconds = (performance.now() - t1) / 1000;
  const rows = [{
    realNodeSeconds: +realSeconds.toFixed(1), fakeNodes: fake, maxUnavailable, fakeNodesSeconds: +fakeSeconds.toFixed(1),
    wholeMemberSeconds: +(realSeconds + fakeSeconds).toFixed(1), requestsOk: ok, requestsFailed: failed, longestGapMs: gap,
  }];
  console.table(rows);
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} finally {
  member.close();
  host.close();
  await down('benchkl', { purge: true, quiet: true });
}
