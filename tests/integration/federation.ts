// Access to the test federation from integration tests.
import { KubeClient } from '../../kube-client/client.js';
import { instanceDir, readState, type ClusterState, type FederationState } from '../../local-federation/state.js';
import { sleep, waitFor } from '../../kube-client/wait.js';
export { sleep };

export const TEST_FEDERATION = process.env.FEDFEAT_TEST_FEDERATION ?? 'test';
export const TEST_MEMBERS = 3;
export const TEST_NODES = 5;

export function federation(): FederationState {
  const state = readState(instanceDir(TEST_FEDERATION));
  if (!state || state.phase !== 'running') throw new Error(`test federation "${TEST_FEDERATION}" is not running`);
  return state;
}

export function cluster(name: string): ClusterState {
  const c = federation().clusters.find((x) => x.name === name);
  if (!c) throw new Error(`no cluster ${name}`);
  return c;
}

export async function adminClient(name: string): Promise<KubeClient> {
  return KubeClient.fromKubeConfig(cluster(name).kubeconfig);
}


/** Polls fn every 500 ms until it returns something truthy (a test's "eventually"). */
export function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  return waitFor(what, fn, { timeoutMs, intervalMs: 500 });
}
