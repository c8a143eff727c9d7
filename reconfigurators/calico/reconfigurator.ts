// The CNI tactic: Calico without overlay and with host-local IPAM, where no
// policy-capable CNI runs. This issue delivers its probe (CNI detection); the
// installer is issue 6.
import type { DesiredFeature } from '../../api/featureconfig.js';
import { probeNetworkPolicy } from '../probes/cni-detection.js';
import { probeUntilSupported, TacticNotImplemented, type MemberContext, type ProbeResult, type Reconfigurator } from '../types.js';

export class CalicoReconfigurator implements Reconfigurator {
  readonly name = 'calico-installer';
  readonly features = ['networkpolicy'] as const;
  readonly canReconfigure = false; // issue 6

  async probe(ctx: MemberContext): Promise<ProbeResult> {
    const v = await probeNetworkPolicy(ctx.client, ctx.options.requestTimeoutMs);
    return { state: v.enforced ? 'Supported' : 'Missing', reason: v.reason, message: v.message };
  }

  async reconfigure(): Promise<never> {
    throw new TacticNotImplemented(this.name, 'issue 6');
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult> {
    return probeUntilSupported(this, ctx, feature, timeoutMs);
  }

  async revert(): Promise<never> {
    throw new TacticNotImplemented(this.name, 'issue 6');
  }
}
