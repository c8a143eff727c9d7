// Operating on single processes of a running local federation: stop and start
// one component again (fault tests: a member API server going away), and
// attach a process started later (the demo's controller) so `down` stops it too.
import path from 'node:path';
import { acquireLock } from './launcher.js';
import { isRunning, startProcess, stopProcess, type ProcessRecord } from './processes.js';
import { instanceDir, readState, writeState } from './state.js';

function withState<T>(instance: string, fn: (state: NonNullable<ReturnType<typeof readState>>) => T): T {
  const dir = instanceDir(instance);
  const release = acquireLock(dir);
  try {
    const state = readState(dir);
    if (!state || state.phase !== 'running') throw new Error(`local federation "${instance}" is not running`);
    const out = fn(state);
    writeState(state);
    return out;
  } finally {
    release();
  }
}

function find(state: NonNullable<ReturnType<typeof readState>>, name: string): number {
  const i = state.processes.findIndex((p) => p.name === name);
  if (i < 0) throw new Error(`no component "${name}" in federation "${state.instance}" (have: ${state.processes.map((p) => p.name).join(', ')})`);
  return i;
}

/** Stops one recorded component (by PID and start time); its record stays so startComponent can bring it back. */
export async function stopComponent(instance: string, name: string): Promise<string> {
  const rec = withState(instance, (s) => s.processes[find(s, name)]!);
  return stopProcess(rec);
}

/** Starts a stopped component again with its recorded command line and log file. */
export function startComponent(instance: string, name: string): ProcessRecord {
  return withState(instance, (s) => {
    const i = find(s, name);
    const old = s.processes[i]!;
    if (isRunning(old)) return old;
    const rec = startProcess(old.name, old.command, { logFile: old.logFile });
    s.processes[i] = rec;
    return rec;
  });
}

/** Starts a process that belongs with the federation; `dev down` stops it before the control planes. */
export function attachProcess(instance: string, name: string, command: string[], env?: NodeJS.ProcessEnv): ProcessRecord {
  return withState(instance, (s) => {
    const existing = s.processes.findIndex((p) => p.name === name);
    if (existing >= 0 && isRunning(s.processes[existing]!)) throw new Error(`${name} is already running (pid ${s.processes[existing]!.pid})`);
    const rec = startProcess(name, command, { logFile: path.join(s.dir, 'logs', `${name.replace(/\//g, '_')}.log`), env });
    if (existing >= 0) s.processes[existing] = rec;
    else s.processes.push(rec);
    return rec;
  });
}
