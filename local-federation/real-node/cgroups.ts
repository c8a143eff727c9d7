// A cgroup subtree per real node (cgroup v1 hierarchies or the v2 unified
// tree). containerd, its shims and every pod live below it, so `down` can find
// and stop exactly what this node started, and the kubelet's cgroupRoot keeps
// its pods apart from anything else on the machine.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = '/sys/fs/cgroup';

/** Mounted hierarchies: v1 controller folders (cpu, memory, ...) or [''] for the v2 unified tree. */
export function hierarchies(): string[] {
  if (existsSync(path.join(ROOT, 'cgroup.controllers'))) return [''];
  return readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(ROOT, d.name, 'cgroup.procs')))
    .map((d) => d.name);
}

/** Creates `rel` (e.g. "/fedfeat-dev") in every hierarchy; cpuset groups inherit the parent's CPUs and memory nodes. */
export function createCgroup(rel: string): void {
  for (const h of hierarchies()) {
    const parts = rel.split('/').filter(Boolean);
    let dir = path.join(ROOT, h);
    for (const p of parts) {
      const parent = dir;
      dir = path.join(dir, p);
      if (!existsSync(dir)) mkdirSync(dir);
      if (h === 'cpuset' || h.includes('cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          const mine = readFileSync(path.join(dir, f), 'utf8').trim();
          if (!mine) writeFileSync(path.join(dir, f), readFileSync(path.join(parent, f), 'utf8').trim());
        }
      }
    }
  }
}

export function movePid(rel: string, pid: number): void {
  for (const h of hierarchies()) writeFileSync(path.join(ROOT, h, rel, 'cgroup.procs'), String(pid));
}

/** Every PID in the subtree, in every hierarchy. */
export function pidsIn(rel: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const line of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) walk(path.join(dir, d.name));
  };
  for (const h of hierarchies()) walk(path.join(ROOT, h, rel));
  return [...pids];
}

/** Removes the subtree leaf first; returns folders that could not be removed (still busy). */
export function removeCgroup(rel: string): string[] {
  const left: string[] = [];
  const rm = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) rm(path.join(dir, d.name));
    try {
      rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  };
  for (const h of hierarchies()) rm(path.join(ROOT, h, rel));
  return left;
}
