// Starting and stopping the federation's processes. A process is identified by
// its PID *and* its kernel start time, so `down` never signals a PID that the
// kernel has since given to an unrelated process.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { sleep } from '../kube-client/wait.js';

export interface ProcessRecord {
  /** What the process is, e.g. "member-1/kube-apiserver". */
  name: string;
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks since boot when the process started. */
  startTime: string;
  command: string[];
  logFile: string;
}

export interface StartOptions {
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall
  } catch {
    return undefined;
  }
}

/** Starts a detached process (own process group) with stdout and stderr appended to logFile. */
export function startProcess(name: string, command: string[], opts: StartOptions): ProcessRecord {
  const [file, ...args] = command;
  if (!file) throw new Error(`${name}: empty command`);
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    if (child.pid === undefined) throw new Error(`${name}: failed to start ${file}`);
    child.unref();
    const startTime = processStartTime(child.pid);
    if (startTime === undefined) throw new Error(`${name}: exited at once; see ${opts.logFile}`);
    return { name, pid: child.pid, startTime, command, logFile: opts.logFile };
  } finally {
    closeSync(fd);
  }
}

/** True while the recorded process (same PID and start time) exists and is not a zombie. */
export function isRunning(rec: Pick<ProcessRecord, 'pid' | 'startTime'>): boolean {
  if (processStartTime(rec.pid) !== rec.startTime) return false;
  try {
    const stat = readFileSync(`/proc/${rec.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}


/** SIGTERM, then SIGKILL after graceMs; only if the record still names the same process. */
export async function stopProcess(rec: ProcessRecord, graceMs = 10_000): Promise<'stopped' | 'not-running' | 'killed'> {
  if (!isRunning(rec)) return 'not-running';
  try {
    process.kill(rec.pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(rec)) return 'stopped';
    await sleep(100);
  }
  if (isRunning(rec)) {
    try {
      process.kill(rec.pid, 'SIGKILL');
    } catch {
      /* exited between the check and the signal */
    }
    for (let i = 0; i < 50 && isRunning(rec); i++) await sleep(100);
    return 'killed';
  }
  return 'stopped';
}

/** Last lines of a log file, for error messages that point at the cause. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
