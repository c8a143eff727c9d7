// The API-server tactic: the PodPreset API (settings.k8s.io/v1alpha1) as a
// CRD plus a mutating admission webhook. This issue delivers its probe; the
// install and revert are issue 4.
import type { DesiredFeature } from '../../api/featureconfig.js';
import { apiResourceServed } from '../probes/api-discovery.js';
import { probeUntilSupported, TacticNotImplemented, type MemberContext, type ProbeResult, type Reconfigurator } from '../types.js';

export class PodPresetReconfigurator implements Reconfigurator {
  readonly name = 'podpreset-replica';
  readonly features = ['podpreset'] as const;
  readonly canReconfigure = false; // issue 4

  async probe(ctx: MemberContext): Promise<ProbeResult> {
    const check = await apiResourceServed(ctx.client, 'settings.k8s.io', 'v1alpha1', 'podpresets', ctx.options.requestTimeoutMs);
    return check.served
      ? { state: 'Supported', reason: 'APIServed', message: check.message }
      : { state: 'Missing', reason: 'APINotServed', message: check.message };
  }

  async reconfigure(): Promise<never> {
    throw new TacticNotImplemented(this.name, 'issue 4');
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult> {
    return probeUntilSupported(this, ctx, feature, timeoutMs);
  }

  async revert(): Promise<never> {
    throw new TacticNotImplemented(this.name, 'issue 4');
  }
}
