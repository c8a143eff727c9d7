// The table `fedfeat dev up|status` prints: clusters, what runs, and the
// members as the host sees them (read back from the host's API, not from memory).
import path from 'node:path';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../api/kubefed.js';
import { KubeClient } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { isRunning } from '../local-federation/processes.js';
import type { FederationState } from '../local-federation/state.js';

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('   ').trimEnd()).join('\n') + '\n';
}

export async function printFederationSummary(state: FederationState): Promise<void> {
  const out = process.stdout;
  const alive = state.processes.filter(isRunning).length;
  out.write(`\nlocal federation "${state.instance}" (${state.phase}), ${alive}/${state.processes.length} processes running\n`);
  const rows = [['CLUSTER', 'ROLE', 'API SERVER', 'NODES']];
  for (const c of state.clusters) {
    const real = state.realNodes?.length && state.realNodes[0]!.member === c.name
      ? ` + ${state.realNodes.length} real (${state.realNodes.map((n) => n.nodeName).join(', ')})` : '';
    const hostNode = c.role === 'host' && state.hostNode ? `1 real (${state.hostNode.nodeName})` : '-';
    rows.push([c.name, c.role, c.server, c.role === 'host' ? hostNode : `${c.kwokNodes.length} kwok${real}`]);
  }
  out.write('\n' + table(rows));
  const hostState = state.clusters.find((c) => c.role === 'host');
  if (hostState) {
    const host = await KubeClient.fromKubeConfig(hostState.kubeconfig);
    try {
      const list = await host.list<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE));
      const kfc = [['KUBEFEDCLUSTER (host)', 'API ENDPOINT', 'SECRET']];
      for (const k of list.items) kfc.push([k.metadata.name, k.spec.apiEndpoint, k.spec.secretRef.name]);
      out.write('\n' + table(kfc));
    } catch (e) {
      out.write(`\nhost API not reachable: ${(e as Error).message}\n`);
    } finally {
      host.close();
    }
  }
  if (state.realNodeSkipped) out.write(`\nreal nodes: skipped (${state.realNodeSkipped})\n`);
  for (const n of [...state.realNodes ?? [], ...(state.hostNode ? [state.hostNode] : [])]) {
    if (n.memory) out.write(`${n.nodeName}: ${n.nodeIP}, podCIDR ${n.podCidr}, ${n.memory.totalMiB} MiB RSS (containerd ${n.memory.containerdMiB}, kubelet ${n.memory.kubeletMiB}, kube-proxy ${n.memory.kubeProxyMiB})\n`);
  }
  if (state.startupSeconds !== undefined) {
    out.write(`\nstartup: ${state.startupSeconds}s; memory of the federation's processes: ${state.memoryMiB} MiB RSS\n`);
  }
  out.write(`\nkubeconfig: ${path.join(state.dir, 'kubeconfig')} (contexts: ${state.clusters.map((c) => c.name).join(', ')})\n`);
  out.write(`logs: ${path.join(state.dir, 'logs')}\n`);
  out.write(`try: eval "$(fedfeat dev env --name ${state.instance})"; kubectl --context host get kubefedclusters -A\n`);
}
