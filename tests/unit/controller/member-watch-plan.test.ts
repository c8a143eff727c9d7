import { controllerOptions } from '../../../cli/server-options.js';
import { parseCommandLine, type Command } from '../../../cli/args.js';
import { planDriftWatches, watchKindsFor, type WatchKind } from '../../../controller/member-watch.js';

describe('drift watch kinds', () => {
  it('watches only what the requested features depend on', () => {
    expect(watchKindsFor(['podpreset'])).toEqual(['CustomResourceDefinition']);
    expect(watchKindsFor(['cpumanagementpolicy', 'kubelet'])).toEqual(['Node']);
    expect(watchKindsFor(['networkpolicy', 'podpreset', 'kubelet'])).toEqual(['Node', 'DaemonSet', 'CustomResourceDefinition']);
    expect(watchKindsFor([])).toEqual([]);
  });
});

describe('planDriftWatches', () => {
  const crd: WatchKind[] = ['CustomResourceDefinition'];
  const wanted = (names: string[], kinds = crd) => new Map(names.map((n) => [n, kinds]));
  it('watches at most `limit` members, the first by name when none is watched yet', () => {
    const plan = planDriftWatches(wanted(['m-3', 'm-1', 'm-2', 'm-4']), [], 2);
    expect([...plan.keys()]).toEqual(['m-1', 'm-2']);
  });
  it('keeps the members already watched (no churn when members join)', () => {
    const plan = planDriftWatches(wanted(['a-new', 'm-3', 'm-4']), ['m-3', 'm-4'], 2);
    expect([...plan.keys()].sort()).toEqual(['m-3', 'm-4']);
  });
  it('gives a freed place to the next member (one went away or stopped needing a watch)', () => {
    const w = wanted(['m-1', 'm-2', 'm-3']);
    w.set('m-1', []);
    expect([...planDriftWatches(w, ['m-1', 'm-2'], 2).keys()].sort()).toEqual(['m-2', 'm-3']);
  });
  it('follows a change of kinds for a watched member', () => {
    const plan = planDriftWatches(new Map([['m-1', ['Node', 'CustomResourceDefinition'] as WatchKind[]]]), ['m-1'], 5);
    expect(plan.get('m-1')).toEqual(['Node', 'CustomResourceDefinition']);
  });
  it('watches nothing with limit 0', () => {
    expect(planDriftWatches(wanted(['m-1']), ['m-1'], 0).size).toBe(0);
  });
});

describe('controller flags for health and drift at scale', () => {
  const parse = (argv: string[]) => controllerOptions((parseCommandLine(['controller', ...argv]) as Command<'controller'>).values);
  it('reads them, and leaves the defaults to the controller when unset', () => {
    const o = parse(['--health-probe-concurrency', '50', '--health-status-refresh-seconds=120', '--drift-watch-limit', '0']);
    expect(o.controller).toMatchObject({ health: { concurrency: 50, statusRefreshMs: 120_000 }, driftWatchLimit: 0 });
    const d = parse([]);
    expect(d.controller.health).not.toHaveProperty('concurrency');
    expect(d.controller).not.toHaveProperty('driftWatchLimit');
  });
  it('refuses a probe concurrency of 0', () => {
    expect(() => parse(['--health-probe-concurrency', '0'])).toThrow('--health-probe-concurrency needs a whole number of at least 1 (got "0")');
  });
});
