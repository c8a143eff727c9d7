import type { ClusterFeatureStatus, FeatureConfig } from '../../../api/featureconfig.js';
import { createLogger } from '../../../controller/logger.js';
import type { Member } from '../../../controller/member-registry.js';
import { reconcileMember, type MemberReconcileDeps } from '../../../controller/reconcile-member.js';
import { KubeApiError, type KubeClient } from '../../../kube-client/client.js';
import { ReconfiguratorRegistry } from '../../../reconfigurators/registry.js';
import type { MemberContext, ProbeResult, Reconfigurator } from '../../../reconfigurators/types.js';

/** A tactic whose feature appears once reconfigure ran; it reports two steps of progress. */
class FakeTactic implements Reconfigurator<{ probeNo: number }> {
  readonly name = 'fake';
  readonly features = ['podpreset'] as const;
  installed = false;
  calls: string[] = [];
  private probes = 0;
  constructor(private readonly fail = false) {}
  async probe(): Promise<ProbeResult<{ probeNo: number }>> {
    this.calls.push('probe');
    const observed = { probeNo: ++this.probes };
    return this.installed ? { state: 'Supported', reason: 'Yes', message: 'there', observed } : { state: 'Missing', reason: 'No', message: 'absent', observed };
  }
  async reconfigure(ctx: MemberContext, _f: unknown, probe: ProbeResult<{ probeNo: number }>) {
    // What the probe saw is handed over: reconfigure must not probe again.
    this.calls.push(`reconfigure(probe ${probe.observed.probeNo})`);
    ctx.progress?.('step 1/2');
    ctx.progress?.('step 2/2');
    if (this.fail) throw new Error('boom');
    this.installed = true;
    return { changed: true as const, message: 'installed' };
  }
  async verify(): Promise<ProbeResult<{ probeNo: number }>> {
    return this.probe();
  }
  async revert() {
    return { changed: false as const, message: '' };
  }
}

const fc = (spec: FeatureConfig['spec']): FeatureConfig => ({ apiVersion: 'feature.kubefed.io/v1alpha1', kind: 'FeatureConfig', metadata: { name: 'fc', uid: 'u', generation: 1 }, spec });
const member: Member = {
  name: 'm1', labels: {}, annotations: {}, client: {} as KubeClient, ready: true, offline: false, consecutiveFailures: 0, consecutiveSuccesses: 1, fingerprint: '',
};

const CLOCK = new Date('2026-01-02T03:04:05.000Z');

function deps(tactic: FakeTactic, published: ClusterFeatureStatus[], events: string[]): MemberReconcileDeps {
  return {
    registry: new ReconfiguratorRegistry([tactic]), log: createLogger('error', true),
    probeOptions: { nodeProbeConcurrency: 1, requestTimeoutMs: 1000 }, verifyTimeoutMs: 1000,
    event: (_f, e) => void events.push(`${e.reason}: ${e.message}`),
    rolloutView: () => [], publish: (_f, r) => void published.push(JSON.parse(JSON.stringify(r)) as ClusterFeatureStatus),
    recentChanges: () => [], signal: new AbortController().signal, now: () => CLOCK,
  };
}

describe('reconcileMember', () => {
  it('reconfigures a missing feature, shows the tactic\'s progress in status, and ends Supported', async () => {
    const t = new FakeTactic();
    const published: ClusterFeatureStatus[] = [];
    const events: string[] = [];
    const out = await reconcileMember(fc({ podpreset: true }), member, undefined, deps(t, published, events));
    expect(out.features[0]).toMatchObject({ name: 'podpreset', state: 'Supported', reason: 'Yes' });
    expect(published.map((p) => p.features[0]!.message)).toEqual(['running fake', 'fake: step 1/2', 'fake: step 2/2']);
    expect(published.every((p) => p.features[0]!.state === 'Reconfiguring')).toBe(true);
    expect(events).toContain('Reconfiguring: fake: installed');
    // One probe, its result handed to reconfigure, then verify probes again.
    expect(t.calls).toEqual(['probe', 'reconfigure(probe 1)', 'probe']);
    // Transition times come from the injected clock.
    expect(out.features[0]!.lastTransitionTime).toBe(CLOCK.toISOString());
  });

  it('reports an inform-access member under an enforce FeatureConfig before attempting anything, with a Warning Event', async () => {
    const t = new FakeTactic();
    const events: string[] = [];
    const informMember = { ...member, labels: { 'fedfeat.io/access': 'inform' }, annotations: { 'fedfeat.io/features': 'podpreset' } };
    const out = await reconcileMember(fc({ podpreset: true }), informMember, undefined, deps(t, [], events));
    expect(out.features[0]).toMatchObject({ state: 'Missing', reason: 'InformAccessOnly' });
    expect(t.calls).toEqual(['probe']);
    expect(events.some((e) => e.startsWith('InformAccessOnly: absent; member m1 was joined with inform access'))).toBe(true);
  });

  it('turns a refused request into InsufficientPermissions naming it, probe (Unknown) or reconfigure (Failed)', async () => {
    const forbidden = (method: string, path: string) => new KubeApiError(method, path, 403, 'forbidden', '');
    const probeRefused = new FakeTactic();
    probeRefused.probe = async () => { throw forbidden('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/fedfeat-podpreset'); };
    const events: string[] = [];
    const a = await reconcileMember(fc({ podpreset: true }), member, undefined, deps(probeRefused, [], events));
    expect(a.features[0]).toMatchObject({ state: 'Unknown', reason: 'InsufficientPermissions' });
    expect(a.features[0]!.message).toContain('get mutatingwebhookconfigurations.admissionregistration.k8s.io "fedfeat-podpreset" (cluster-wide) is not allowed');
    expect(events.filter((e) => e.startsWith('InsufficientPermissions:'))).toHaveLength(1);
    const reconfigureRefused = new FakeTactic();
    reconfigureRefused.reconfigure = async () => { throw forbidden('POST', '/api/v1/namespaces/fedfeat-system/secrets'); };
    const b = await reconcileMember(fc({ podpreset: true }), member, undefined, deps(reconfigureRefused, [], []));
    expect(b.features[0]).toMatchObject({ state: 'Failed', reason: 'InsufficientPermissions' });
    expect(b.features[0]!.message).toContain('create secrets in namespace fedfeat-system is not allowed');
  });

  it('changes nothing in inform mode', async () => {
    const t = new FakeTactic();
    const out = await reconcileMember(fc({ podpreset: true, mode: 'inform' }), member, undefined, deps(t, [], []));
    expect(out.features[0]).toMatchObject({ state: 'Missing', reason: 'No' });
    expect(t.calls).toEqual(['probe']);
  });

  it('reports a failing tactic as Failed with its message', async () => {
    const out = await reconcileMember(fc({ podpreset: true }), member, undefined, deps(new FakeTactic(true), [], []));
    expect(out.features[0]).toMatchObject({ state: 'Failed', reason: 'ReconfigureFailed', message: 'fake: boom' });
  });

  it('reports an unreachable member as Unknown without probing it', async () => {
    const t = new FakeTactic();
    const out = await reconcileMember(fc({ podpreset: true }), { ...member, ready: false, offline: true, lastError: 'connect ECONNREFUSED' }, undefined, deps(t, [], []));
    expect(out.features[0]).toMatchObject({ state: 'Unknown', reason: 'ClusterOffline' });
    expect(out.features[0]!.message).toContain('ECONNREFUSED');
    expect(t.calls).toEqual([]);
  });
});
