import type { FeatureConfigSpec } from '../../../api/featureconfig.js';
import { rolloutGate, type RolloutMember } from '../../../controller/rollout.js';

const m = (name: string, over: Partial<RolloutMember> = {}): RolloutMember => ({
  name, labels: {}, supported: false, reconfiguring: false, failed: false, ...over,
});

describe('rolloutGate', () => {
  it('allows one member at a time by default', () => {
    const spec: FeatureConfigSpec = { podpreset: true };
    expect(rolloutGate(spec, 'a', [m('a'), m('b')])).toEqual({ allowed: true });
    const gate = rolloutGate(spec, 'b', [m('a', { reconfiguring: true }), m('b')]);
    expect(gate).toMatchObject({ allowed: false, reason: 'RolloutLimit' });
  });

  it('honours maxConcurrentClusters', () => {
    const spec: FeatureConfigSpec = { podpreset: true, rollout: { maxConcurrentClusters: 2 } };
    expect(rolloutGate(spec, 'c', [m('a', { reconfiguring: true }), m('b'), m('c')]).allowed).toBe(true);
    expect(rolloutGate(spec, 'c', [m('a', { reconfiguring: true }), m('b', { reconfiguring: true }), m('c')]).allowed).toBe(false);
  });

  it('does not count the member itself as busy (a retry of its own rollout)', () => {
    expect(rolloutGate({ podpreset: true }, 'a', [m('a', { reconfiguring: true })]).allowed).toBe(true);
  });

  it('waits for canaries before the rest, and lets canaries go first', () => {
    const spec: FeatureConfigSpec = { podpreset: true, rollout: { canarySelector: { matchLabels: { tier: 'canary' } }, maxConcurrentClusters: 5 } };
    const members = [m('canary', { labels: { tier: 'canary' } }), m('prod')];
    expect(rolloutGate(spec, 'canary', members).allowed).toBe(true);
    expect(rolloutGate(spec, 'prod', members)).toMatchObject({ allowed: false, reason: 'WaitingForCanary' });
    members[0]!.supported = true;
    expect(rolloutGate(spec, 'prod', members).allowed).toBe(true);
  });

  it('halts everything after a member failed, except that member', () => {
    const members = [m('a', { failed: true }), m('b')];
    const gate = rolloutGate({ podpreset: true, rollout: { maxConcurrentClusters: 3 } }, 'b', members);
    expect(gate).toMatchObject({ allowed: false, reason: 'RolloutHalted' });
    if (!gate.allowed) expect(gate.message).toContain('a');
    expect(rolloutGate({ podpreset: true }, 'a', members).allowed).toBe(true);
  });
});
