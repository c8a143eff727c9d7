// What `fedfeat unjoin --decentralized` removes after the fleet revoked the
// member and join's objects (the agent's Deployment among them) are gone:
// what the agent itself materialized on its member — the fleet's
// FeatureConfigs (annotation feature.kubefed.io/fleet-spec), their
// ClusterFeatureStatuses, the ClusterCoordinates it wrote (source agents, its
// observer label) and, with --remove-crds, the CRDs.
//
// Safety, in order: (1) the agent must be stopped first — it watches local
// FeatureConfigs, and a local delete seen by a running agent is a fleet-wide
// delete (and it would re-create what is deleted); unjoin waits for the
// agent's pods to go, and an agent run elsewhere (join --no-deployment) must
// be declared stopped (--agent-stopped), else nothing here is touched; (2) the
// fleet has already revoked the member, so even a running agent's changes are
// refused by its peers; (3) each FeatureConfig is marked
// feature.kubefed.io/member-leaving before its delete, which an agent treats
// as a local cleanup, never a fleet delete.
//
// The tactics' changes on the member follow each FeatureConfig's
// deletionPolicy, as when the fleet deletes it (decentralized/member-revert.ts):
// Revert undoes them (with the operator's credentials: the agent's access is
// gone by now), Retain leaves them, and unjoin names what stays.
import { CFS_KIND, CFS_PLURAL, CLUSTER_LABEL, labelValue, type ClusterFeatureStatusObject } from '../api/cluster-feature-status.js';
import { matchesSelector } from '../api/label-selector.js';
import { AGENT_OBSERVER_LABEL, CCOORD_KIND, CCOORD_PLURAL, type ClusterCoordinateObject } from '../api/cluster-coordinate.js';
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, modeOf, type FeatureConfig } from '../api/featureconfig.js';
import { KUBEFED_NAMESPACE } from '../api/kubefed.js';
import { DEFAULT_OPTIONS } from '../controller/controller.js';
import { createLogger } from '../controller/logger.js';
import { FLEET_SPEC_ANNOTATION, MEMBER_LEAVING_ANNOTATION } from '../decentralized/agent.js';
import { revertOnMember, revertSteps, type RevertStep } from '../decentralized/member-revert.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { defaultRegistry, type ReconfiguratorRegistry } from '../reconfigurators/registry.js';
import { AGENT_DEPLOYMENT } from './agent-objects.js';

export const AGENT_CRDS = ['featureconfigs.feature.kubefed.io', 'clusterfeaturestatuses.feature.kubefed.io', 'clustercoordinates.feature.kubefed.io'];
const fcPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, name);
const crdPath = (name: string) => resourcePath('apiextensions.k8s.io/v1', 'customresourcedefinitions', undefined, name);
const AGENT_PODS = `/api/v1/namespaces/${KUBEFED_NAMESPACE}/pods`;
const AGENT_POD_SELECTOR = 'app.kubernetes.io/name=fedfeat-agent';

/** What unjoin must know before join's objects go: whether the agent ran as join's Deployment, and its settings. */
export interface AgentBeforeUnjoin {
  deployed: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface CleanupPlan {
  /** The agent's FeatureConfigs with what happens to their changes on the member. */
  featureConfigs: Array<{ fc: FeatureConfig; steps: RevertStep[] }>;
  /** Objects the agent did not write (kept), as "Kind namespace/name". */
  foreign: string[];
  /** The agent's ClusterFeatureStatuses and ClusterCoordinates. */
  statuses: ClusterFeatureStatusObject[];
  coordinates: ClusterCoordinateObject[];
}

const what = (kind: string, o: KubeObject) => `${kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Which objects are the agent's (pure). */
export function cleanupPlan(
  member: string, labels: Record<string, string>, fcs: FeatureConfig[], statuses: ClusterFeatureStatusObject[], coords: ClusterCoordinateObject[],
  registry: Pick<ReconfiguratorRegistry, 'for'>,
): CleanupPlan {
  const isAgents = (fc: FeatureConfig) => fc.metadata.annotations?.[FLEET_SPEC_ANNOTATION] !== undefined;
  const mine = fcs.filter(isAgents);
  const others = fcs.filter((fc) => !isAgents(fc));
  const uids = new Set(mine.map((fc) => fc.metadata.uid));
  const ownedByMine = (o: ClusterFeatureStatusObject) => (o.metadata.ownerReferences ?? []).some((r) => r.kind === 'FeatureConfig' && uids.has(String(r.uid)));
  // Owned by a FeatureConfig that no longer exists: garbage the member's garbage collector has not reached yet
  // (it can lag by minutes), whoever wrote it; removed with the agent's objects.
  const existing = new Set(fcs.map((fc) => String(fc.metadata.uid)));
  const orphan = (o: ClusterFeatureStatusObject) => {
    const owners = (o.metadata.ownerReferences ?? []).filter((r) => r.kind === 'FeatureConfig');
    return owners.length > 0 && owners.every((r) => !existing.has(String(r.uid)));
  };
  const myCoord = (o: ClusterCoordinateObject) => o.source === 'agents' && o.metadata.labels?.[AGENT_OBSERVER_LABEL] === member;
  // The tactics ran here for a FeatureConfig the agent reported this member in (its own ClusterFeatureStatus);
  // the labels say it too, when known (a second unjoin finds join's ConfigMap gone).
  const reported = new Set(statuses.filter((o) => ownedByMine(o) && o.metadata.labels?.[CLUSTER_LABEL] === labelValue(member))
    .map((o) => String((o.metadata.ownerReferences ?? [])[0]?.uid)));
  const selected = (fc: FeatureConfig) => reported.has(String(fc.metadata.uid)) || (Object.keys(labels).length > 0 && matchesSelector(fc.spec.clusterSelector, labels));
  return {
    featureConfigs: mine.map((fc) => ({ fc, steps: revertSteps(fc, labels, others, registry, selected(fc)) })),
    foreign: [
      ...others.map((o) => what('FeatureConfig', o)), ...statuses.filter((o) => !ownedByMine(o) && !orphan(o)).map((o) => what(CFS_KIND, o)),
      ...coords.filter((o) => !myCoord(o)).map((o) => what(CCOORD_KIND, o)),
    ],
    statuses: statuses.filter((o) => ownedByMine(o) || orphan(o)),
    coordinates: coords.filter(myCoord),
  };
}

/** One line per FeatureConfig whose changes stay on the member (pure); inform-mode ones changed nothing. */
export function whatStays(member: string, plan: CleanupPlan): string[] {
  const out: string[] = [];
  for (const { fc, steps } of plan.featureConfigs) {
    if (modeOf(fc.spec) !== 'enforce') continue;
    const retained = steps.filter((s) => s.action === 'retain').map((s) => s.feature.name);
    const required = steps.filter((s) => s.action === 'required');
    if (retained.length) out.push(`${member}: FeatureConfig ${fc.metadata.name} has deletionPolicy Retain: fedfeat's changes for ${retained.join(', ')} stay on ${member}`);
    for (const s of required) out.push(`${member}: ${s.feature.name} stays on ${member}: FeatureConfig ${s.requiredBy!.join(', ')} (not the agent's) still asks for it`);
  }
  return out;
}

/** Read before unjoin removes join's objects (the Deployment and the ConfigMap with the member's settings). */
export async function agentBeforeUnjoin(member: KubeClient): Promise<AgentBeforeUnjoin> {
  const { parseLabels } = await import('../cli/agent-command.js');
  const deployed = (await member.getOptional(resourcePath('apps/v1', 'deployments', KUBEFED_NAMESPACE, AGENT_DEPLOYMENT))) !== undefined;
  const cm = await member.getOptional<KubeObject & { data?: Record<string, string> }>(resourcePath('v1', 'configmaps', KUBEFED_NAMESPACE, 'fedfeat-agent'));
  return { deployed, labels: parseLabels(cm?.data?.labels), annotations: parseLabels(cm?.data?.annotations, 'annotations') };
}

export interface CleanupOptions {
  log: (line: string) => void;
  /** The agent runs outside the cluster and the operator says it is stopped. */
  agentStopped?: boolean;
  removeCRDs?: boolean;
  /** How long to wait for the agent's pods to terminate. */
  podTimeoutMs?: number;
  registry?: ReconfiguratorRegistry;
}

/**
 * done: nothing of the agent's is left but what the log names (Retain's changes, the CRDs without --remove-crds);
 * deferred: an agent run elsewhere may still run, nothing was touched (the log says how to finish);
 * incomplete: something failed or was refused (the log says what).
 */
export type CleanupResult = 'done' | 'deferred' | 'incomplete';

/** Removes what the agent materialized on `name` (see the top of this file). */
export async function removeAgentObjects(member: KubeClient, name: string, before: AgentBeforeUnjoin, o: CleanupOptions): Promise<CleanupResult> {
  const { log } = o;
  const list = async <T>(plural: string) => (await member.list<T>(resourcePath(FEATURECONFIG_API_VERSION, plural)).catch((e: Error) => {
    if (e instanceof KubeApiError && e.statusCode === 404) return { items: [] as T[] }; // the CRD is not installed
    throw e;
  })).items;
  if (before.deployed) {
    // join's Deployment is deleted by now; its pods terminate gracefully (the agent saves its state and stops).
    const left = await waitPodsGone(member, o.podTimeoutMs ?? 120_000);
    if (left.length) {
      log(`${name}: the agent's pods ${left.join(', ')} are still running: its FeatureConfigs, statuses and coordinates are left (a running agent would turn their delete into a fleet-wide delete); run unjoin again once they are gone`);
      return 'incomplete';
    }
  }
  // Across all namespaces: --remove-crds must see every object the CRDs hold.
  const fcs = await list<FeatureConfig>(FEATURECONFIG_PLURAL);
  const statuses = await list<ClusterFeatureStatusObject>(CFS_PLURAL);
  const coords = await list<ClusterCoordinateObject>(CCOORD_PLURAL);
  const registry = o.registry ?? defaultRegistry();
  const plan = cleanupPlan(name, before.labels, fcs, statuses, coords, registry);
  const anything = plan.featureConfigs.length + plan.statuses.length + plan.coordinates.length > 0;
  if (!before.deployed && !o.agentStopped) {
    // A running agent would re-create what is deleted, or turn the deletes into fleet-wide ones.
    if (anything) {
      log(`${name}: its agent ran outside the cluster (joined with --no-deployment), so unjoin cannot stop it: left on ${name} ${plan.featureConfigs.length} FeatureConfig(s), ${plan.statuses.length} ClusterFeatureStatus(es), ${plan.coordinates.length} ClusterCoordinate(s) the agent wrote, and the tactics' changes. Stop the agent, then run unjoin again with --agent-stopped (and --peers: the member's ConfigMap is gone) to remove them`);
    } else if (o.removeCRDs) {
      log(`${name}: CRDs kept (--remove-crds refused): the agent ran outside the cluster; stop it and run unjoin again with --agent-stopped`);
      return 'incomplete';
    }
    return anything ? 'deferred' : 'done';
  }
  const stays = whatStays(name, plan);
  let complete = true;
  for (const { fc, steps } of plan.featureConfigs) {
    const fname = fc.metadata.name;
    const problems = steps.some((s) => s.action === 'revert') ? await revertOnMember({
      member: name, client: member, labels: before.labels, annotations: before.annotations, registry, log: createLogger('warn'),
      signal: new AbortController().signal, options: DEFAULT_OPTIONS.probe,
      event: (_fc, type, reason, message, feature) => log(`${name}: ${fname}${feature ? `/${feature}` : ''}: ${reason}${type === 'Warning' ? ' (warning)' : ''}: ${message}`),
    }, fc, [], steps.filter((s) => s.action === 'revert')) : []; // what stays is said once, below
    if (problems.length) {
      complete = false;
      log(`${name}: FeatureConfig ${fname} kept: its revert failed (${problems.join('; ')}); run unjoin again to retry`);
      continue;
    }
    // Its statuses before it (the garbage collector would take them too, in its own time).
    for (const obj of plan.statuses.filter((o) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === fc.metadata.uid))) {
      if (await member.delete(resourcePath(FEATURECONFIG_API_VERSION, CFS_PLURAL, obj.metadata.namespace, obj.metadata.name))) log(`${name}: ${what(CFS_KIND, obj)} deleted`);
    }
    // Marked first: should an agent still watch, this delete is a local cleanup, not a fleet-wide delete.
    await member.mergePatch(fcPath(fname), { metadata: { annotations: { [MEMBER_LEAVING_ANNOTATION]: name } } }).catch(() => undefined);
    await member.delete(fcPath(fname));
    const finalizers = fc.metadata.finalizers ?? [];
    // The agent adds no finalizer; another controller's (a host's) keeps the object until that controller is done.
    log(`${name}: FeatureConfig ${fname} deleted${finalizers.length ? ` (finalizers ${finalizers.join(', ')} are not the agent's: it goes when they are removed)` : ''}`);
  }
  // Statuses of FeatureConfigs already gone (the garbage collector's backlog).
  const planned = new Set(plan.featureConfigs.map(({ fc }) => String(fc.metadata.uid)));
  for (const obj of plan.statuses.filter((o) => !(o.metadata.ownerReferences ?? []).some((r) => planned.has(String(r.uid))))) {
    if (await member.delete(resourcePath(FEATURECONFIG_API_VERSION, CFS_PLURAL, obj.metadata.namespace, obj.metadata.name))) log(`${name}: ${what(CFS_KIND, obj)} deleted (its FeatureConfig is gone)`);
  }
  for (const obj of plan.coordinates) {
    if (await member.delete(resourcePath(FEATURECONFIG_API_VERSION, CCOORD_PLURAL, obj.metadata.namespace, obj.metadata.name))) log(`${name}: ${what(CCOORD_KIND, obj)} deleted`);
  }
  for (const line of stays) log(line);
  const foreign = plan.foreign;
  if (foreign.length) log(`${name}: kept, not written by the agent: ${foreign.join(', ')}`);
  if (o.removeCRDs) {
    if (foreign.length || !complete) {
      log(`${name}: CRDs kept (--remove-crds refused): ${!complete ? 'FeatureConfigs whose revert failed remain' : 'objects not written by the agent remain; deleting the CRDs would delete them'}`);
      return 'incomplete';
    }
    for (const crd of AGENT_CRDS) if (await member.delete(crdPath(crd))) log(`${name}: CustomResourceDefinition ${crd} deleted`);
  } else if (anything || fcs.length) {
    log(`${name}: the CRDs ${AGENT_CRDS.join(', ')} are kept (--remove-crds deletes them when nothing else uses them)`);
  }
  if (!anything) log(`${name}: nothing the agent materialized was left`);
  return complete ? 'done' : 'incomplete';
}

async function waitPodsGone(member: KubeClient, timeoutMs: number): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const pods = (await member.list<KubeObject>(AGENT_PODS, { query: { labelSelector: AGENT_POD_SELECTOR } })).items.map((p) => p.metadata.name);
    if (!pods.length || Date.now() > end) return pods;
    await new Promise((r) => setTimeout(r, 500));
  }
}
