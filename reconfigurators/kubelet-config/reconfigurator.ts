// The kubelet tactic: kubelet configuration changed on every node by a
// privileged DaemonSet, one node at a time. This issue delivers its probe
// (/configz of every node through the API server); the rollout is issue 5.
import type { DesiredFeature } from '../../api/featureconfig.js';
import { nodeResults, readNodeConfigs } from '../probes/kubelet-configz.js';
import { probeUntilSupported, TacticNotImplemented, type MemberContext, type ProbeResult, type Reconfigurator } from '../types.js';

export class KubeletConfigReconfigurator implements Reconfigurator {
  readonly name = 'kubelet-config';
  readonly features = ['cpumanagementpolicy', 'kubelet'] as const;
  readonly canReconfigure = false; // issue 5

  async probe(ctx: MemberContext, feature: DesiredFeature): Promise<ProbeResult> {
    if (!('kubelet' in feature)) throw new Error(`${this.name} cannot probe feature ${feature.name}`);
    const nodes = nodeResults(await readNodeConfigs(ctx.client, ctx.options), feature.kubelet);
    const real = nodes.filter((n) => n.state !== 'simulated');
    const simulated = nodes.length - real.length;
    const note = simulated ? ` (${simulated} simulated nodes not probed)` : '';
    const mismatched = real.filter((n) => n.state === 'mismatch');
    const unreachable = real.filter((n) => n.state === 'unreachable');
    if (!real.length) return { state: 'Unknown', reason: 'NoKubeletToProbe', message: `no node with a kubelet to probe${note}`, nodes };
    if (mismatched.length) {
      return { state: 'Missing', reason: 'KubeletConfigDiffers', message: `${mismatched.length}/${real.length} nodes differ: ${mismatched.map((n) => `${n.node}: ${n.message}`).join('; ')}${note}`, nodes };
    }
    if (unreachable.length) {
      return { state: 'Unknown', reason: 'KubeletUnreachable', message: `${unreachable.length}/${real.length} nodes did not answer /configz: ${unreachable.map((n) => `${n.node}: ${n.message}`).join('; ')}${note}`, nodes };
    }
    return { state: 'Supported', reason: 'KubeletConfigured', message: `all ${real.length} nodes run the desired kubelet settings${note}`, nodes };
  }

  async reconfigure(): Promise<never> {
    throw new TacticNotImplemented(this.name, 'issue 5');
  }

  verify(ctx: MemberContext, feature: DesiredFeature, timeoutMs: number): Promise<ProbeResult> {
    return probeUntilSupported(this, ctx, feature, timeoutMs);
  }

  async revert(): Promise<never> {
    throw new TacticNotImplemented(this.name, 'issue 5');
  }
}
