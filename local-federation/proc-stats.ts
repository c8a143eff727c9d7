// What /proc says about a process: resident memory and CPU time, for the
// launcher's figures, the benchmarks and the evaluation harness.
import { readFileSync } from 'node:fs';

/** Resident set size in KiB (0 when the process is gone). */
export function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export const rssMiB = (pid: number): number => Math.round(rssKiB(pid) / 1024);

/** User + system CPU time in seconds (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
