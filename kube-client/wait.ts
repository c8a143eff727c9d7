// The one way fedfeat waits: sleep is Node's own (abortable) timer; waitFor
// polls a check until it holds, the deadline passes or the signal aborts.
import { setTimeout as timerSleep } from 'node:timers/promises';

/** Sleeps ms; an aborted signal ends the sleep early (resolves, never throws). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return timerSleep(ms, undefined, signal ? { signal } : undefined).catch(() => undefined);
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called on timeout to explain what was last seen (e.g. a log tail). */
  describe?: () => string;
}

/**
 * Polls `check` until it returns a truthy value (which waitFor returns) or the
 * timeout passes, then throws naming `what`, the last error and `describe()`.
 * A check that throws counts as "not yet", except a refused request (HTTP 403): no wait grants a
 * permission, so it is thrown at once for the caller to report.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      if ((e as { statusCode?: unknown }).statusCode === 403) throw e;
      lastError = (e as Error).message;
    }
    if (opts.signal?.aborted) throw new Error(`stopped waiting for ${what}: aborted`);
    if (Date.now() >= deadline) break;
    await sleep(Math.min(opts.intervalMs ?? 250, Math.max(0, deadline - Date.now())), opts.signal);
  }
  const detail = [lastError && `last error: ${lastError}`, opts.describe?.()].filter(Boolean).join('\n');
  throw new Error(`timed out after ${opts.timeoutMs / 1000}s waiting for ${what}${detail ? `\n${detail}` : ''}`);
}
