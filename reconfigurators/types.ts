// The Reconfigurator interface: the paper's Listing 2 (Reconfigure,
// Wait_for_up) grown to what a safe tactic needs. Every method works through
// the member's own API server only. A probe gathers what it needs once and
// hands it to reconfigure, so a tactic never reads the member twice.
import type { DesiredFeature, FeatureName } from '../api/featureconfig.js';
import type { KubeClient } from '../kube-client/client.js';
import type { Logger } from '../controller/logger.js';
import type { Verdict } from './decision.js';

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
  /** The clock (injected so certificate expiry and timestamps are testable). */
  now(): Date;
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

/** A probe's verdict plus what it observed, which reconfigure acts on instead of reading again. */
export interface ProbeResult<Observed = unknown> extends Verdict {
  nodes?: NodeResult[];
  observed: Observed;
}

export type ReconfigureOutcome =
  | { changed: false; message: string }
  | { changed: true; message: string };

export interface Reconfigurator<Observed = unknown> {
  /** The tactic, e.g. "podpreset-replica". */
  readonly name: string;
  /** Features this tactic can provide. */
  readonly features: readonly FeatureName[];
  /** Actual state of the feature on the member: gather (I/O) then a pure decision. Read only. */
  probe(ctx: MemberContext, feature: DesiredFeature): Promise<ProbeResult<Observed>>;
  /** Applies the tactic where the probe found the feature missing. Idempotent: running it twice changes nothing more. */
  reconfigure(ctx: MemberContext, feature: DesiredFeature, probe: ProbeResult<Observed>): Promise<ReconfigureOutcome>;
  /** Waits until the feature works (the paper's Wait_for_up) or the timeout passes; returns the last probe. */
  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult<Observed>>;
  /** Undoes everything reconfigure did on the member; safe to call when nothing was done. */
  revert(ctx: MemberContext, feature: DesiredFeature): Promise<ReconfigureOutcome>;
}
