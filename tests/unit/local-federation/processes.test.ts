import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRunning, startProcess, stopProcess } from '../../../local-federation/processes.js';
import { sleep } from '../../../kube-client/wait.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fedfeat-proc-'));

describe('process records', () => {
  it('starts a detached process with its output in the log, and stops it by PID', async () => {
    const rec = startProcess('t/sh', ['sh', '-c', 'echo hello; exec sleep 60'], { logFile: path.join(dir, 'a.log') });
    expect(isRunning(rec)).toBe(true);
    for (let i = 0; i < 100 && !readFileSync(rec.logFile, 'utf8').includes('hello'); i++) await sleep(20);
    expect(await stopProcess(rec, 5000)).toBe('stopped');
    expect(isRunning(rec)).toBe(false);
    expect(readFileSync(rec.logFile, 'utf8')).toContain('hello');
  });

  it('never signals a PID whose start time differs (the PID was reused)', async () => {
    const rec = startProcess('t/sleep', ['sleep', '60'], { logFile: path.join(dir, 'b.log') });
    const impostor = { ...rec, startTime: String(Number(rec.startTime) - 1) };
    expect(isRunning(impostor)).toBe(false);
    expect(await stopProcess(impostor, 1000)).toBe('not-running');
    expect(isRunning(rec)).toBe(true);
    await stopProcess(rec, 5000);
  });

  it('escalates to SIGKILL when a process ignores SIGTERM', async () => {
    const rec = startProcess('t/stubborn', ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done'], { logFile: path.join(dir, 'c.log') });
    await sleep(200);
    expect(await stopProcess(rec, 500)).toBe('killed');
    expect(isRunning(rec)).toBe(false);
  });
});
