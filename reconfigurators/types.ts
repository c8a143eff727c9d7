// The Reconfigurator interface: the paper's Listing 2 (Reconfigure,
// Wait_for_up) grown to what a safe tactic needs. Every method works through
// the member's own API server only.
import type { DesiredFeature, FeatureName } from '../api/featureconfig.js';
import type { KubeClient } from '../kube-client/client.js';
import type { Logger } from '../controller/logger.js';
import { sleep } from '../kube-client/wait.js';

export interface MemberContext {
  /** KubeFedCluster name of the member. */
  cluster: string;
  /** The member's KubeFedCluster annotations (per-member tactic settings). */
  annotations: Record<string, string>;
  client: KubeClient;
  log: Logger;
  signal: AbortSignal;
  /** Records a Kubernetes Event on the FeatureConfig, naming this cluster. */
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Shows where a running reconfiguration is, in the member's status (optional: set while reconfiguring). */
  progress?(message: string): void;
  options: ProbeOptions;
}

export interface ProbeOptions {
  /** Nodes carrying this annotation (key=value) are simulated (e.g. KWOK) and have no kubelet to probe. */
  simulatedNodeAnnotation?: string;
  /** Most nodes probed at once per member. */
  nodeProbeConcurrency: number;
  /** Timeout of one probe request. */
  requestTimeoutMs: number;
}

export interface NodeResult {
  node: string;
  state: 'ok' | 'mismatch' | 'unreachable' | 'simulated';
  message: string;
}

export interface ProbeResult {
  state: 'Supported' | 'Missing' | 'Unknown';
  /** One CamelCase word, for status and Events. */
  reason: string;
  message: string;
  nodes?: NodeResult[];
}

export type ReconfigureOutcome =
  | { changed: false; message: string }
  | { changed: true; message: string };

export interface Reconfigurator {
  /** The tactic, e.g. "podpreset-replica". */
  readonly name: string;
  /** Features this tactic can provide. */
  readonly features: readonly FeatureName[];
  /** False while the tactic can only probe (its install is not built yet); the controller then reports instead of acting. */
  readonly canReconfigure: boolean;
  /** Actual state of the feature on the member. Read only. */
  probe(ctx: MemberContext, feature: DesiredFeature): Promise<ProbeResult>;
  /** Applies the tactic where the feature is missing. Idempotent: running it twice changes nothing more. */
  reconfigure(ctx: MemberContext, feature: DesiredFeature): Promise<ReconfigureOutcome>;
  /** Waits until the feature works (the paper's Wait_for_up) or the timeout passes; returns the last probe. */
  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult>;
  /** Undoes everything reconfigure did on the member; safe to call when nothing was done. */
  revert(ctx: MemberContext, feature: DesiredFeature): Promise<ReconfigureOutcome>;
}

/** A tactic whose changes are not built yet: it says so instead of pretending. */
export class TacticNotImplemented extends Error {
  constructor(readonly tactic: string, readonly issue: string) {
    super(`the ${tactic} tactic cannot change members yet (${issue}); the feature is probed and reported only`);
    this.name = 'TacticNotImplemented';
  }
}

/** verify() for tactics that only need to re-probe until Supported. */
export async function probeUntilSupported(
  r: Pick<Reconfigurator, 'probe'>, ctx: MemberContext, feature: DesiredFeature, timeoutMs: number, intervalMs = 2000,
): Promise<ProbeResult> {
  const deadline = Date.now() + timeoutMs;
  let last = await r.probe(ctx, feature);
  while (last.state !== 'Supported' && Date.now() < deadline && !ctx.signal.aborted) {
    await sleep(intervalMs);
    last = await r.probe(ctx, feature);
  }
  return last;
}
