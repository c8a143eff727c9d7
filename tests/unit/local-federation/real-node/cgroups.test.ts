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

  it('lists every process below the root', () => {
    mock({
      '/sys/fs/cgroup': {
        pids: { 'cgroup.procs': '1', t: { 'cgroup.procs': '10\n11\n', runtime: { 'cgroup.procs': '12\n' } } },
        memory: { 'cgroup.procs': '1', t: { 'cgroup.procs': '10\n' } },
      },
    });
    expect(pidsIn('/t').sort()).toEqual([10, 11, 12]);
  });

  // On cgroupfs a folder goes with rmdir once it has no child folders and no
  // processes; its control files do not count. mock-fs has no such files, so an
  // empty mock folder is an idle cgroup, and a folder holding a file is a busy
  // one (rmdir fails with ENOTEMPTY as cgroupfs fails with EBUSY).
  it('removes the subtree leaf first', () => {
    mock({
      '/sys/fs/cgroup': {
        pids: { 'cgroup.procs': '1', t: { runtime: { shim: {} }, kubepods: { besteffort: { pod1: {} } } }, other: {} },
        memory: { 'cgroup.procs': '1', t: { kubepods: {} }, other: {} },
      },
    });
    // The parents can only go after their children: nothing is left, in either hierarchy.
    expect(removeCgroup('/t')).toEqual([]);
    expect(existsSync('/sys/fs/cgroup/pids/t')).toBe(false);
    expect(existsSync('/sys/fs/cgroup/memory/t')).toBe(false);
    // Only the subtree goes: the hierarchy roots and sibling cgroups stay.
    expect(existsSync('/sys/fs/cgroup/pids/other')).toBe(true);
    expect(existsSync('/sys/fs/cgroup/memory/other')).toBe(true);
    expect(existsSync('/sys/fs/cgroup/pids/cgroup.procs')).toBe(true);
    // Gone already: nothing to do, nothing reported.
    expect(removeCgroup('/t')).toEqual([]);
  });

  it('keeps a busy cgroup and its ancestors, reports them leaf first, and removes the idle rest', () => {
    mock({
      '/sys/fs/cgroup': {
        pids: { 'cgroup.procs': '1', t: { runtime: { shim: { 'cgroup.procs': '42\n' }, idle: {} }, kubepods: { pod1: {} } } },
        memory: { 'cgroup.procs': '1', t: { kubepods: {} } },
      },
    });
    expect(removeCgroup('/t')).toEqual(['/sys/fs/cgroup/pids/t/runtime/shim', '/sys/fs/cgroup/pids/t/runtime', '/sys/fs/cgroup/pids/t']);
    expect(existsSync('/sys/fs/cgroup/pids/t/runtime/idle')).toBe(false);
    expect(existsSync('/sys/fs/cgroup/pids/t/kubepods')).toBe(false);
    expect(existsSync('/sys/fs/cgroup/memory/t')).toBe(false);
    expect(readFileSync('/sys/fs/cgroup/pids/t/runtime/shim/cgroup.procs', 'utf8')).toBe('42\n');
  });
});
