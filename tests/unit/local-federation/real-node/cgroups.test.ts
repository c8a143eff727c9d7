// mock-fs 5.5 works on Node 20 with ESM: it replaces the fs binding that
// node:fs uses underneath, so the module under test needs no changes.
import mock from 'mock-fs';
import { readFileSync, existsSync } from 'node:fs';
import { createCgroup, hierarchies, pidsIn, removeCgroup } from '../../../../local-federation/real-node/cgroups.js';

afterEach(() => mock.restore());

const v1 = () =>
  mock({
    '/sys/fs/cgroup': {
      cpuset: { 'cgroup.procs': '', 'cpuset.cpus': '0-1', 'cpuset.mems': '0' },
      memory: { 'cgroup.procs': '' },
      pids: { 'cgroup.procs': '' },
    },
  });

describe('cgroups for the real node', () => {
  it('finds v1 hierarchies, and the unified tree on v2', () => {
    v1();
    expect(hierarchies().sort()).toEqual(['cpuset', 'memory', 'pids']);
    mock.restore();
    mock({ '/sys/fs/cgroup': { 'cgroup.controllers': 'cpu memory', 'cgroup.procs': '' } });
    expect(hierarchies()).toEqual(['']);
  });

  it('creates the subtree in every hierarchy, copying CPUs and memory nodes into new cpusets', () => {
    // A real cgroupfs creates these files itself; mock-fs needs them up front.
    mock({
      '/sys/fs/cgroup': {
        cpuset: { 'cgroup.procs': '', 'cpuset.cpus': '0-1', 'cpuset.mems': '0', 'fedfeat-t': { 'cgroup.procs': '', 'cpuset.cpus': '', 'cpuset.mems': '' } },
        pids: { 'cgroup.procs': '' },
      },
    });
    createCgroup('/fedfeat-t');
    expect(readFileSync('/sys/fs/cgroup/cpuset/fedfeat-t/cpuset.cpus', 'utf8')).toBe('0-1');
    expect(readFileSync('/sys/fs/cgroup/cpuset/fedfeat-t/cpuset.mems', 'utf8')).toBe('0');
    expect(existsSync('/sys/fs/cgroup/pids/fedfeat-t')).toBe(true);
  });

  it('lists every process below the root and removes the subtree leaf first', () => {
    mock({
      '/sys/fs/cgroup': {
        pids: { 'cgroup.procs': '1', t: { 'cgroup.procs': '10\n11\n', runtime: { 'cgroup.procs': '12\n' } } },
        memory: { 'cgroup.procs': '1', t: { 'cgroup.procs': '10\n' } },
      },
    });
    expect(pidsIn('/t').sort()).toEqual([10, 11, 12]);
    // mock-fs folders are not cgroupfs: rmdir refuses non-empty ones, so they are reported as busy.
    const busy = removeCgroup('/t');
    expect(busy.length).toBeGreaterThan(0);
  });
});
