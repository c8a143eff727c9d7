// `up` refuses to clobber a running federation, and `down` leaves nothing
// behind: no recorded process, network namespace (nodes' or clients'), veth,
// bridge, route or cgroup.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { down, FederationAlreadyRunning, up } from '../../local-federation/launcher.js';
import { isRunning } from '../../local-federation/processes.js';
import { SERVICE_CIDR } from '../../local-federation/control-plane.js';
import { createClient, planClient, type NetworkPlan } from '../../local-federation/real-node/network.js';
import { cgroupRootFor } from '../../local-federation/real-node/real-node.js';
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
    // Two real nodes: enough to check that every node's pieces go, at less cost than the suite's three.
    state = await up({ instance: INSTANCE, members: 1, nodesPerMember: 2, realNode: realNodeLaunchOption(), realNodes: 2, quiet: true });
  }, 300_000);

  afterAll(async () => {
    await down(INSTANCE, { quiet: true });
  });

  it('refuses a second up while the federation runs, and leaves the first one untouched', async () => {
    await expect(up({ instance: INSTANCE, members: 2, nodesPerMember: 1, realNode: 'off', quiet: true })).rejects.toThrow(FederationAlreadyRunning);
    await expect(up({ instance: INSTANCE, members: 2, nodesPerMember: 1, realNode: 'off', quiet: true })).rejects.toThrow(/already running/);
    expect(state.processes.every(isRunning)).toBe(true);
  });

  it('down stops exactly the recorded processes and removes namespaces, veths, bridge, routes and cgroups', async () => {
    const nodes = [...state.realNodes ?? []];
    const net = state.realNetwork;
    // The real nodes' teardown is checked only with real nodes; as root missing ones fail rather than skipping those checks.
    const need = realNodeNeed(state);
    if ('fail' in need) throw new Error(need.fail);
    if (net) {
      expect(nodes).toHaveLength(2);
      // The host cluster's node (on by default) goes the same way.
      expect(state.hostNode).toBeDefined();
      nodes.push(state.hostNode!);
      // A client namespace a test made and did not remove (an aborted run): down removes it too.
      const client = planClient(INSTANCE, net as unknown as NetworkPlan, 'leftover', 0, SERVICE_CIDR);
      createClient(net as unknown as NetworkPlan, client);
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(client.netns);
    }
    expect(processesMentioning(state.dir).length).toBeGreaterThan(0);
    const result = await down(INSTANCE, { quiet: true });
    expect(result.found).toBe(true);
    expect(state.processes.filter(isRunning)).toEqual([]);
    expect(processesMentioning(state.dir)).toEqual([]);
    if (net) {
      const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });
      const routes = execFileSync('ip', ['route'], { encoding: 'utf8' });
      expect(netns).not.toContain(`fedfeat-${INSTANCE}.`);
      expect(links).not.toContain(net.bridge);
      expect(routes).not.toContain(net.subnet.replace('/24', ''));
      for (const rn of nodes) {
        expect(links).not.toContain(rn.hostVeth);
        expect(routes).not.toContain(rn.nodeIP);
        expect(rn.podCidr).toBeDefined();
        expect(routes).not.toContain(rn.podCidr!);
        expect(existsSync(rn.containerdSocket)).toBe(false);
      }
      const root = cgroupRootFor(INSTANCE);
      expect(existsSync(`/sys/fs/cgroup/pids${root}`) || existsSync(`/sys/fs/cgroup${root}`)).toBe(false);
      expect(existsSync(`/run/fedfeat/${INSTANCE}`)).toBe(false);
    }
    expect(existsSync(`${state.dir}/state.json`)).toBe(false);
    expect(existsSync(`${state.dir}/logs`)).toBe(true);
  });

  it('down on a federation that is not running says so and changes nothing', async () => {
    const again = await down(INSTANCE, { quiet: true });
    expect(again).toEqual({ found: false, stopped: [] });
  });
});
