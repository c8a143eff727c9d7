// How a tactic's steps are strung together outside the controller's own
// reconcile (verify loops, the evaluation harness, benchmarks, tests).
import type { DesiredFeature } from '../api/featureconfig.js';
import { sleep } from '../kube-client/wait.js';
import type { MemberContext, ProbeResult, Reconfigurator, ReconfigureOutcome } from './types.js';

/** verify() for tactics that only need to re-probe until Supported. */
export async function probeUntilSupported<O>(
  r: Pick<Reconfigurator<O>, 'probe'>, ctx: MemberContext, feature: DesiredFeature, timeoutMs: number, intervalMs = 2000,
): Promise<ProbeResult<O>> {
  const deadline = Date.now() + timeoutMs;
  let last = await r.probe(ctx, feature);
  while (last.state !== 'Supported' && Date.now() < deadline && !ctx.signal.aborted) {
    await sleep(intervalMs, ctx.signal);
    last = await r.probe(ctx, feature);
  }
  return last;
}

/** Probe, then reconfigure from what the probe saw (one pass of the controller's reconcile, without status). */
export async function probeThenReconfigure<O>(r: Reconfigurator<O>, ctx: MemberContext, feature: DesiredFeature): Promise<ReconfigureOutcome> {
  return r.reconfigure(ctx, feature, await r.probe(ctx, feature));
}
