// `up` refuses to clobber a running federation, and `down` leaves nothing
// behind: no recorded process, network namespace, veth, route or cgroup.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { down, FederationAlreadyRunning, up } from '../../local-federation/launcher.js';
import { isRunning } from '../../local-federation/processes.js';
import type { FederationState } from '../../local-federation/state.js';
import { realNodeLaunchOption, realNodeNeed } from './federation.js';

const INSTANCE = 'lifecycle';

/** PIDs whose command line mentions this instance's folder (anything it started, recorded or not). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) found.push(Number(pid));
    } catch {
      /* exited */
    }
  }
  return found.filter((p) => p !== process.pid);
}

describe('launcher lifecycle', () => {
  let state: FederationState;

  beforeAll(async () => {
    await down(INSTANCE, { quiet: true }); // leftovers of an aborted earlier run
    state = await up({ instance: INSTANCE, members: 1, nodesPerMember: 2, realNode: realNodeLaunchOption(), quiet: true });
  }, 240_000);

  afterAll(async () => {
    await down(INSTANCE, { quiet: true });
  });

  it('refuses a second up while the federation runs, and leaves the first one untouched', async () => {
    await expect(up({ instance: INSTANCE, members: 2, nodesPerMember: 1, realNode: 'off', quiet: true })).rejects.toThrow(FederationAlreadyRunning);
    await expect(up({ instance: INSTANCE, members: 2, nodesPerMember: 1, realNode: 'off', quiet: true })).rejects.toThrow(/already running/);
    expect(state.processes.every(isRunning)).toBe(true);
  });

  it('down stops exactly the recorded processes and removes namespace, veth, route and cgroups', async () => {
    const rn = state.realNodes?.[0];
    // The real node's teardown is checked only with a real node; as root a missing one fails rather than skipping those checks.
    const need = realNodeNeed(state);
    if ('fail' in need) throw new Error(need.fail);
    expect(processesMentioning(state.dir).length).toBeGreaterThan(0);
    const result = await down(INSTANCE, { quiet: true });
    expect(result.found).toBe(true);
    expect(state.processes.filter(isRunning)).toEqual([]);
    expect(processesMentioning(state.dir)).toEqual([]);
    if (rn) {
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(rn.netns);
      expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain(rn.hostVeth);
      expect(execFileSync('ip', ['route'], { encoding: 'utf8' })).not.toContain(rn.nodeIP);
      expect(existsSync(`/sys/fs/cgroup/pids${rn.cgroupRoot}`) || existsSync(`/sys/fs/cgroup${rn.cgroupRoot}`)).toBe(false);
      expect(existsSync(rn.containerdSocket)).toBe(false);
    }
    expect(existsSync(`${state.dir}/state.json`)).toBe(false);
    expect(existsSync(`${state.dir}/logs`)).toBe(true);
  });

  it('down on a federation that is not running says so and changes nothing', async () => {
    const again = await down(INSTANCE, { quiet: true });
    expect(again).toEqual({ found: false, stopped: [] });
  });
});
