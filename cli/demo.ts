// `fedfeat dev demo`: the main job on the embedded default. On a running local
// federation: install fedfeat on the host from manifests/, run the controller
// (its Deployment on the host's real node, else a host process attached to the
// federation, so `dev down` stops it), apply the paper's Listing 1 and show
// the status converge.
import http from 'node:http';
import path from 'node:path';
import type { FeatureConfig } from '../api/featureconfig.js';
import { KubeClient } from '../kube-client/client.js';
import { attachProcess } from '../local-federation/components.js';
import { freePort } from '../local-federation/free-port.js';
import { controllerCommand, controllerKubeconfig, installHostManifests, installInCluster, kubectl } from '../local-federation/host-install.js';
import { isRunning } from '../local-federation/processes.js';
import { waitFor } from '../kube-client/wait.js';
import { Progress } from '../local-federation/progress.js';
import { repoRoot } from '../local-federation/repo-root.js';
import { readState, instanceDir, type FederationState } from '../local-federation/state.js';
import { fetchFeatureConfigs, renderStatus } from './status-table.js';

const CONTROLLER = 'fedfeat-controller';
const EXAMPLE = path.join(repoRoot, 'examples', 'listing-1-featureconfig.yaml');

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}

export async function demo(instance: string, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const progress = new Progress();
  const state = readState(instanceDir(instance));
  if (!state || state.phase !== 'running') throw new Error(`no running local federation "${instance}"; run "fedfeat dev up --name ${instance}" first`);
  const host = await KubeClient.fromKubeConfig(state.clusters.find((c) => c.role === 'host')!.kubeconfig);
  try {
    installHostManifests(state);
    progress.step('host: fedfeat CRDs and least-privilege RBAC applied from manifests/ (kubectl apply --server-side -k)');
    const metricsUrl = await ensureController(state, host, progress);
    kubectl(state, ['apply', '--server-side', '--field-manager=fedfeat-demo', '-f', EXAMPLE]);
    progress.step(`applied ${path.relative(repoRoot, EXAMPLE)} (the paper's Listing 1 spec)`);
    const members = state.clusters.filter((c) => c.role === 'member').length;
    let last = '';
    // Settled: every member reported and the rollout finished (nothing reconfiguring or waiting for a slot).
    await waitFor(`status of all ${members} members to settle`, async () => {
      const [view] = await fetchFeatureConfigs(host, 'cpumanagementpolicy');
      if (view?.fc.status?.observedGeneration !== view?.fc.metadata.generation) return false;
      const clusters = view?.members ?? [];
      const features = clusters.flatMap((c) => c.features.map((f) => ({ ...f, cluster: c.name })));
      const busy = features.filter((f) => f.state === 'Reconfiguring' || f.reason === 'RolloutLimit' || f.reason === 'WaitingForCanary');
      const line = `members reported ${clusters.filter((c) => c.features.length).length}/${members}; ` +
        `podpreset Supported on ${features.filter((f) => f.name === 'podpreset' && f.state === 'Supported').length}/${members}` +
        (busy.length ? `; rollout: ${busy.map((f) => `${f.cluster} ${f.state === 'Reconfiguring' ? 'reconfiguring' : 'waiting'}`).join(', ')}` : '');
      if (line !== last) progress.step(line);
      last = line;
      return clusters.length === members && clusters.every((c) => c.features.length) && !busy.length;
    }, { timeoutMs: 180_000, intervalMs: 250 });

    out.write(`\n$ fedfeat status\n${renderStatus(await fetchFeatureConfigs(host))}`);
    out.write(`$ kubectl get featureconfigs\n${kubectl(state, ['get', 'featureconfigs'])}\n`);
    out.write(`$ kubectl get events --field-selector involvedObject.kind=FeatureConfig\n${kubectl(state, [
      'get', 'events', '-n', 'default', '--field-selector', 'involvedObject.kind=FeatureConfig', '--sort-by=.lastTimestamp',
      '-o', 'custom-columns=TYPE:.type,REASON:.reason,COUNT:.count,MESSAGE:.message',
    ])}\n`);
    out.write([
      'Try next:',
      `  eval "$(node bin/fedfeat.js dev env --name ${instance})"`,
      '  kubectl describe featureconfig cpumanagementpolicy',
      '  kubectl explain featureconfig.spec',
      '  node bin/fedfeat.js status --watch --kubeconfig $KUBECONFIG',
      `  curl -s ${metricsUrl} | grep ^fedfeat_`,
      `  node bin/fedfeat.js dev down --name ${instance}   # stops the controller too`,
      '',
    ].join('\n'));
  } finally {
    host.close();
  }
}

/**
 * The controller as users run it where the host has a real node: its Deployment (2 replicas, leader election)
 * from the locally built image; otherwise a host process with the same ServiceAccount. A second demo reuses either.
 */
async function ensureController(state: FederationState, host: KubeClient, progress: Progress): Promise<string> {
  if (state.hostNode) {
    const { leader, podIP } = await installInCluster(state, host);
    progress.step(`controller Deployment kube-federation-system/fedfeat-controller running on ${state.hostNode.nodeName} ` +
      `(kubectl apply -k local-federation/in-cluster: manifests/ with the local image), 2 replicas Ready, leader ${leader}`);
    return `http://${podIP}:8080/metrics`;
  }
  const existing = state.processes.find((p) => p.name === CONTROLLER);
  const portOf = (cmd: string[]) => cmd[cmd.indexOf('--listen') + 1]!;
  if (existing && isRunning(existing)) {
    progress.step(`controller already running (pid ${existing.pid})`);
    return `http://${portOf(existing.command)}/metrics`;
  }
  const kubeconfig = await controllerKubeconfig(state, host);
  const listen = `127.0.0.1:${await freePort()}`;
  // Calico's official manifest from the source the launcher built it from, and the images it imported on the real
  // nodes: member-1's real nodes get real Calico (the default release URL is not reachable from here).
  const calico = state.calico ? ['--calico-manifest-url', `file://${state.calico.manifest}`, '--calico-image-registry', state.calico.imageRegistry] : [];
  const rec = attachProcess(state.instance, CONTROLLER, controllerCommand(kubeconfig, listen, `${state.instance}-controller`, calico));
  await waitFor('controller ready', () => httpOk(`http://${listen}/readyz`), { timeoutMs: 60_000 });
  progress.step(`controller running as ServiceAccount kube-federation-system/fedfeat-controller (pid ${rec.pid}, log ${rec.logFile}, metrics http://${listen}/metrics)`);
  return `http://${listen}/metrics`;
}
