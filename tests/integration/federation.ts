// Access to the test federation from integration tests.
import { apiEndpointURL, KUBEFED_API_VERSION, KUBEFED_NAMESPACE, KUBEFED_PLURAL, type KubeFedCluster } from '../../api/kubefed.js';
import { accessAllows, requestAttributes, type AccessRules, type RequestAttributes } from '../../reconfigurators/rbac.js';
import { createLogger } from '../../controller/logger.js';
import { KubeClient, type KubeObject } from '../../kube-client/client.js';
import { resourcePath } from '../../kube-client/paths.js';
import type { MemberContext } from '../../reconfigurators/types.js';
import type { UpOptions } from '../../local-federation/launcher.js';
import { instanceDir, readState, type ClusterState, type FederationState, type RealNodeState } from '../../local-federation/state.js';
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

/**
 * Makes sure a namespace exists; true if this call created it (the caller then deletes it with
 * deleteNamespace). One still Terminating from an earlier test file is waited out first: seen as present,
 * it would vanish under the next request.
 */
export async function ensureNamespace(c: KubeClient, name: string, manager: string): Promise<boolean> {
  const path = `/api/v1/namespaces/${name}`;
  await eventually(`namespace ${name} not Terminating`, async () => {
    const ns = await c.getOptional<KubeObject & { status?: { phase?: string } }>(path);
    return !ns || ns.status?.phase !== 'Terminating';
  }, 180_000);
  if (await c.getOptional(path)) return false;
  await c.apply(path, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject, manager);
  return true;
}

/** Deletes a namespace and waits until it is gone (the next test file may want it again). */
export async function deleteNamespace(c: KubeClient, name: string): Promise<void> {
  const path = `/api/v1/namespaces/${name}`;
  await c.delete(path).catch(() => undefined);
  await eventually(`namespace ${name} gone`, async () => !(await c.getOptional(path)), 120_000).catch(() => undefined);
}

/** The env var that says whether this run needs the real node, in the launcher's --real-node terms. */
export const REAL_NODE_ENV = 'FEDFEAT_TEST_REAL_NODE';

/**
 * Whether the real node (a kubelet on containerd in member-1) is needed, from FEDFEAT_TEST_REAL_NODE:
 *   on    required: a test that needs it fails when the federation has none
 *   auto  used when the federation has one; otherwise those tests are skipped, saying why
 *   off   the opt-out: not started by the test setup, and those tests are skipped
 * Unset, it is `on` as root (CI, where the node can run, so a missing one is a failure
 * rather than a silently green run) and `auto` otherwise (the node needs root).
 */
export function realNodeMode(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): UpOptions['realNode'] {
  const v = env[REAL_NODE_ENV];
  if (v === undefined || v === '') return uid === 0 ? 'on' : 'auto';
  if (v === 'auto' || v === 'on' || v === 'off') return v;
  throw new Error(`${REAL_NODE_ENV} must be auto, on or off (got "${v}")`);
}

/** The launcher's --real-node for the test federation: off when opted out, else auto (a missing node fails the tests that need it, not the whole setup). */
export const realNodeLaunchOption = (mode = realNodeMode()): UpOptions['realNode'] => (mode === 'off' ? 'off' : 'auto');

/** `node` is the first of member-1's real nodes, `nodes` all of them. */
export type RealNodeNeed = { node: RealNodeState; nodes: RealNodeState[] } | { skip: string } | { fail: string };

/** What a test that needs the real nodes does with this federation: run on them, skip (why), or fail (why). */
export function realNodeNeed(state: Pick<FederationState, 'instance' | 'realNodes' | 'realNodeSkipped'>, mode = realNodeMode()): RealNodeNeed {
  if (mode === 'off') return { skip: `${REAL_NODE_ENV}=off` };
  if (state.realNodes?.length) return { node: state.realNodes[0]!, nodes: state.realNodes };
  const why = state.realNodeSkipped ?? 'the launcher recorded no reason';
  if (mode === 'auto') return { skip: `federation "${state.instance}" has no real node: ${why}` };
  return {
    fail: `the real node is required (${REAL_NODE_ENV}=on, the default when the tests run as root), but federation "${state.instance}" has none: ${why}. ` +
      `Install what it needs (local-federation/install-system-packages.sh) and start the federation again, ` +
      `or set ${REAL_NODE_ENV}=off to skip the tests that need it.`,
  };
}

function skipNote(name: string, reason: string): string {
  process.stderr.write(`skipping "${name}": ${reason}\n`);
  return `${name} (skipped: ${reason})`;
}

/** describe() for tests that all need the real nodes; `fn` gets the first and all of them. Skipped or failed per realNodeNeed. */
export function describeRealNode(name: string, fn: (node: RealNodeState, nodes: RealNodeState[]) => void): void {
  const need = realNodeNeed(federation());
  if ('node' in need) describe(name, () => fn(need.node, need.nodes));
  else if ('skip' in need) describe.skip(skipNote(name, need.skip), () => it('needs the real node', () => undefined));
  // One failing test in place of the suite: its hooks would only fail obscurely without the node.
  else describe(name, () => it('has the real node it needs', () => { throw new Error(need.fail); }));
}

/**
 * describe() for tests that need the host cluster's real node (the controller's Deployment runs there): skipped
 * or failed as realNodeNeed says, and failed when the real nodes run but the host has none (started with --host-node off).
 */
export function describeHostNode(name: string, fn: (hostNode: RealNodeState) => void): void {
  const state = federation();
  const need = realNodeNeed(state);
  if ('skip' in need) describe.skip(skipNote(name, need.skip), () => it('needs the host node', () => undefined));
  else if ('fail' in need) describe(name, () => it('has the host node it needs', () => { throw new Error(need.fail); }));
  else if (!state.hostNode) {
    describe(name, () => it('has the host node it needs', () => {
      throw new Error(`federation "${state.instance}" has real nodes but no host node (started with --host-node off?); start it again with the host node`);
    }));
  } else {
    const hostNode = state.hostNode;
    describe(name, () => fn(hostNode));
  }
}

/** it() for one test that needs the real nodes, among tests that do not; `fn` gets the first and all of them. */
export function itRealNode(name: string, fn: (node: RealNodeState, nodes: RealNodeState[]) => Promise<void>, timeoutMs?: number): void {
  const need = realNodeNeed(federation());
  if ('node' in need) it(name, () => fn(need.node, need.nodes), timeoutMs);
  else if ('skip' in need) it.skip(skipNote(name, need.skip), () => undefined);
  else it(name, () => { throw new Error(need.fail); });
}

/**
 * A tactic's MemberContext for a member of the test federation, with the annotations its KubeFedCluster
 * carries on the host (e.g. the webhook URL); `events` collects what the tactic records.
 */
export async function memberContext(name: string, client: KubeClient, events: string[] = []): Promise<MemberContext> {
  const host = await adminClient('host');
  try {
    const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, name));
    return {
      cluster: name, annotations: kfc.metadata.annotations ?? {}, client, log: createLogger('warn'), signal: new AbortController().signal,
      options: { nodeProbeConcurrency: 4, requestTimeoutMs: 10_000 },
      now: () => new Date(), event: (type, reason, message) => void events.push(`${type} ${reason} ${message}`),
    };
  } finally {
    host.close();
  }
}

/**
 * A namespace as far as a tactic installed something in it: undefined when it is absent or holds only what
 * `fedfeat join` created there (the local federation's members are joined, so join keeps fedfeat-system,
 * fedfeat-node-agent and fedfeat-probe with its Roles; a tactic's install labels them as fedfeat's).
 */
export async function tacticNamespace(c: KubeClient, name: string): Promise<KubeObject | undefined> {
  const ns = await c.getOptional(`/api/v1/namespaces/${name}`);
  return ns?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'fedfeat' ? ns : undefined;
}

export interface JoinedClient {
  /** The member as the controller reaches it: the token `fedfeat join` issued, with only the roles it granted. */
  client: KubeClient;
  /** Every request sent, as RBAC sees it. */
  requests: Array<RequestAttributes & { raw: string }>;
  /** The requests these rules do not allow ("VERB /path"), each once. */
  notAllowedBy(rules: AccessRules): string[];
}

/** A client with the member's registration token from the host (least privilege), recording its requests. */
export async function joinedClient(name: string): Promise<JoinedClient> {
  const host = await adminClient('host');
  try {
    const kfc = await host.get<KubeFedCluster>(resourcePath(KUBEFED_API_VERSION, KUBEFED_PLURAL, KUBEFED_NAMESPACE, name));
    const secret = await host.get<KubeObject & { data: Record<string, string> }>(resourcePath('v1', 'secrets', KUBEFED_NAMESPACE, kfc.spec.secretRef.name));
    const client = KubeClient.fromToken(apiEndpointURL(kfc.spec.apiEndpoint), Buffer.from(kfc.spec.caBundle!, 'base64').toString(), Buffer.from(secret.data.token!, 'base64').toString());
    const requests: JoinedClient['requests'] = [];
    client.onRequest = (method, path, query) => void requests.push({ ...requestAttributes(method, path, query), raw: `${method} ${path}${query.watch ? '?watch' : ''}` });
    return {
      client, requests,
      notAllowedBy: (rules) => [...new Set(requests.filter((r) => !accessAllows(rules, r)).map((r) => r.raw))],
    };
  } finally {
    host.close();
  }
}
