// One reconcile of one (FeatureConfig, member cluster) pair: probe every
// requested feature through the member's API server and, in enforce mode and
// when the rollout allows, run the feature's reconfigurator. Level-triggered:
// it works from what it observes now, so running it twice is harmless.
import { CFS_NAMESPACE, cfsName, renderClusterFeatureStatus } from '../api/cluster-feature-status.js';
import { matchesSelector } from '../api/label-selector.js';
import { desiredFeatures, modeOf, type ClusterFeatureStatus, type DesiredFeature, type FeatureConfig, type FeatureStatus } from '../api/featureconfig.js';
import type { ReconfiguratorRegistry } from '../reconfigurators/registry.js';
import type { MemberContext, ProbeOptions, ProbeResult } from '../reconfigurators/types.js';
import type { EventInput } from './events.js';
import type { Logger } from './logger.js';
import type { Member } from './member-registry.js';
import type { ObservedChange } from './member-watch.js';
import type { ControllerParts } from './parts.js';
import { joinedAccess } from '../join/objects.js';
import { ACCESS_REASONS, forbiddenIn, insufficientPermissions, joinedAccessProblem } from './permissions.js';
import { ensureFinalizer } from './reconcile-finalize.js';
import { rolloutView } from './results.js';
import { rolloutGate, type RolloutMember } from './rollout.js';
import { withTransition } from './status.js';
import { memberWork, statusWork } from './work-items.js';
import type { WorkResult } from './workqueue.js';

export interface MemberReconcileDeps {
  registry: ReconfiguratorRegistry;
  log: Logger;
  probeOptions: ProbeOptions;
  verifyTimeoutMs: number;
  event(fc: FeatureConfig, e: EventInput): void;
  /** The current results of one feature of this FeatureConfig on every member, for the rollout gate. */
  rolloutView(fc: FeatureConfig, feature: string): RolloutMember[];
  /** Publishes an intermediate result (e.g. Reconfiguring) before a long step. */
  publish(fc: FeatureConfig, result: ClusterFeatureStatus): void;
  recentChanges(cluster: string): ObservedChange[];
  signal: AbortSignal;
  now(): Date;
}

/** Results for a member that cannot be probed (pure). */
export function unreachableResult(fc: FeatureConfig, member: Member, prev: ClusterFeatureStatus | undefined, now: string): ClusterFeatureStatus {
  const reason = member.configError ? 'ClusterConfigInvalid' : member.offline ? 'ClusterOffline' : 'ClusterNotReady';
  const message = member.configError ?? `member API server not healthy: ${member.lastError ?? 'not probed yet'}`;
  return {
    name: member.name,
    reachable: false,
    features: desiredFeatures(fc.spec).map((f) => withTransition(prev?.features.find((p) => p.name === f.name), { name: f.name, state: 'Unknown', reason, message }, now)),
  };
}

export async function reconcileMember(
  fc: FeatureConfig,
  member: Member,
  prev: ClusterFeatureStatus | undefined,
  deps: MemberReconcileDeps,
): Promise<ClusterFeatureStatus> {
  const now = () => deps.now().toISOString();
  if (!member.client || !member.ready) return unreachableResult(fc, member, prev, now());
  const cluster = member.name;
  const ctx: MemberContext = {
    cluster,
    annotations: member.annotations,
    client: member.client,
    log: deps.log.child({ cluster, featureconfig: fc.metadata.name }),
    signal: deps.signal,
    options: deps.probeOptions,
    event: (type, reason, message) => deps.event(fc, { type, reason, message, cluster }),
    now: deps.now,
  };
  const features: FeatureStatus[] = [];
  const result: ClusterFeatureStatus = { name: cluster, reachable: true, features };
  for (const feature of desiredFeatures(fc.spec)) {
    const before = prev?.features.find((p) => p.name === feature.name);
    const next = await reconcileFeature(fc, feature, ctx, before, deps, result, prev, joinedAccess(member.labels, member.annotations));
    features.push(withTransition(before, next, now()));
    announce(fc, cluster, before, next, deps);
  }
  return result;
}

async function reconcileFeature(
  fc: FeatureConfig,
  feature: DesiredFeature,
  ctx: MemberContext,
  before: FeatureStatus | undefined,
  deps: MemberReconcileDeps,
  partial: ClusterFeatureStatus,
  prev: ClusterFeatureStatus | undefined,
  joined: ReturnType<typeof joinedAccess>,
): Promise<Omit<FeatureStatus, 'lastTransitionTime'>> {
  const r = deps.registry.for(feature.name);
  let probe: ProbeResult;
  try {
    probe = await r.probe(ctx, feature);
  } catch (e) {
    const refused = forbiddenIn(e);
    if (refused) return insufficientPermissions(refused, ctx.cluster, feature.name, 'probe');
    return { name: feature.name, state: 'Unknown', reason: 'ProbeFailed', message: `${r.name} probe failed: ${(e as Error).message}` };
  }
  // Node-level features: which nodes show the feature, for placement (kept with the result, stored in its ClusterFeatureStatus).
  if (probe.nodes) partial.nodes = { ...partial.nodes, [feature.name]: probe.nodes.filter((n) => n.state === 'ok').map((n) => n.node) };
  if (probe.state !== 'Missing') return { name: feature.name, state: probe.state, reason: probe.reason, message: probe.message };

  if (before?.state === 'Supported') {
    // Drift: the feature was there and is gone. Name who changed the member, if we saw it.
    const blame = deps.recentChanges(ctx.cluster).slice(0, 3).map((c) => `${c.kind} ${c.name} ${c.change} by ${c.manager}`).join('; ');
    deps.event(fc, { type: 'Warning', reason: 'Drift', cluster: ctx.cluster, feature: feature.name, message: `feature no longer supported: ${probe.message}${blame ? `; recent changes by others: ${blame}` : ''}` });
  }
  if (modeOf(fc.spec) === 'inform') {
    return { name: feature.name, state: 'Missing', reason: probe.reason, message: `${probe.message} (inform mode: not reconfigured)` };
  }
  // A member joined without the access this needs is reported as such, before anything is attempted.
  const denied = joinedAccessProblem(joined, ctx.cluster, feature, probe.message);
  if (denied) return denied;
  const gate = rolloutGate(fc.spec, ctx.cluster, deps.rolloutView(fc, feature.name));
  if (!gate.allowed) return { name: feature.name, state: 'Missing', reason: gate.reason, message: `${probe.message}; ${gate.message}` };

  // Features not reached yet keep their last known state in what is published meanwhile.
  const notYet = (prev?.features ?? []).filter((p) => p.name !== feature.name && !partial.features.some((f) => f.name === p.name));
  const since = deps.now().toISOString();
  const progress = (message: string) => deps.publish(fc, {
    ...partial, features: [...partial.features, { name: feature.name, state: 'Reconfiguring', reason: 'Reconfiguring', message, lastTransitionTime: since }, ...notYet],
  });
  progress(`running ${r.name}`);
  try {
    // Tactics report their steps (e.g. node by node) in status while they run.
    // The tactic acts on what its probe saw: nothing is read twice.
    const outcome = await r.reconfigure({ ...ctx, progress: (m) => progress(`${r.name}: ${m}`) }, feature, probe);
    deps.event(fc, { type: 'Normal', reason: 'Reconfiguring', cluster: ctx.cluster, feature: feature.name, message: `${r.name}: ${outcome.message}` });
    const verified = await r.verify(ctx, feature, deps.verifyTimeoutMs);
    if (verified.state === 'Supported') return { name: feature.name, state: 'Supported', reason: verified.reason, message: verified.message };
    return { name: feature.name, state: 'Failed', reason: 'VerifyTimeout', message: `${r.name} ran but the feature is not working after ${deps.verifyTimeoutMs / 1000}s: ${verified.message}` };
  } catch (e) {
    const refused = forbiddenIn(e);
    if (refused) return insufficientPermissions(refused, ctx.cluster, feature.name, 'reconfigure');
    return { name: feature.name, state: 'Failed', reason: 'ReconfigureFailed', message: `${r.name}: ${(e as Error).message}` };
  }
}

/** Events on state transitions only, so a steady member makes none. */
function announce(fc: FeatureConfig, cluster: string, before: FeatureStatus | undefined, next: Omit<FeatureStatus, 'lastTransitionTime'>, deps: MemberReconcileDeps): void {
  if (before?.state === next.state && before.reason === next.reason) return;
  const base = { cluster, feature: next.name, message: next.message ?? '' };
  if (ACCESS_REASONS.has(next.reason ?? '')) {
    deps.event(fc, { ...base, type: 'Warning', reason: next.reason! });
    return;
  }
  switch (next.state) {
    case 'Supported':
      deps.event(fc, { ...base, type: 'Normal', reason: 'Ready' });
      break;
    case 'Missing':
      deps.event(fc, { ...base, type: 'Normal', reason: 'Detected', message: `feature missing (${next.reason}): ${next.message}` });
      break;
    case 'Failed':
      deps.event(fc, { ...base, type: 'Warning', reason: 'Failed' });
      break;
    case 'Unknown':
      deps.event(fc, { ...base, type: 'Warning', reason: 'Unknown', message: `${next.reason}: ${next.message}` });
      break;
    default:
      break;
  }
}

/**
 * The work item "member": one (FeatureConfig, member) pair reconciled, its
 * result kept for status and the rollout gate, and the next resync scheduled.
 */
export async function reconcileMemberItem(p: ControllerParts, fcName: string, cluster: string): Promise<WorkResult | void> {
  const fc = p.featureConfigs.get(fcName);
  if (!fc || fc.metadata.deletionTimestamp) return;
  if (!(await ensureFinalizer(p, fc))) return { requeueAfterMs: 200 }; // another worker is adding it
  const member = p.members.get(cluster);
  const results = p.results.of(fcName);
  if (!member || !matchesSelector(fc.spec.clusterSelector, member.labels)) {
    if (results.delete(cluster)) p.queue.add(statusWork(fcName));
    p.memberStatus.remove(CFS_NAMESPACE, cfsName(fcName, cluster));
    return;
  }
  let reconfigured = false;
  const result = await reconcileMember(fc, member, results.get(cluster), {
    registry: p.registry,
    log: p.log,
    probeOptions: p.opts.probe,
    verifyTimeoutMs: p.opts.verifyTimeoutMs,
    event: (f, e) => p.events.record(f, e),
    rolloutView: (f, feature) => rolloutView(p.selectedMembers(f), p.results.of(f.metadata.name), feature),
    publish: (f, r) => {
      reconfigured = true;
      p.results.of(f.metadata.name).set(r.name, r);
      p.memberStatus.write(renderClusterFeatureStatus(f, r));
      p.queue.add(statusWork(f.metadata.name));
    },
    recentChanges: (c) => p.recentChanges(c),
    signal: p.signal,
    now: p.now,
  });
  // The FeatureConfig may have changed while we probed; the newer generation's reconcile is queued.
  if (p.featureConfigs.get(fcName)?.metadata.uid !== fc.metadata.uid) return;
  results.set(cluster, result);
  p.memberStatus.write(renderClusterFeatureStatus(fc, result));
  for (const f of result.features) p.metrics.setFeatureState(fcName, cluster, f.name, f.state);
  p.queue.add(statusWork(fcName));
  // A rollout slot is free again: members waiting for it go now rather than at their next resync.
  if (reconfigured) for (const other of p.selectedMembers(fc)) if (other.name !== cluster) p.queue.add(memberWork(fcName, other.name));
  const waiting = result.features.some((f) => f.reason === 'RolloutLimit' || f.reason === 'WaitingForCanary');
  // Periodic resync, jittered so members do not probe in lockstep; sooner while waiting for a rollout slot.
  return { requeueAfterMs: (waiting ? Math.min(10_000, p.opts.resyncMs) : p.opts.resyncMs) * (0.9 + Math.random() * 0.2) };
}
