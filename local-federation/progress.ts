// Human progress lines for the launcher (stderr), with elapsed time, so a
// slow step is visible while it happens.
export class Progress {
  private readonly t0 = Date.now();
  constructor(private readonly quiet = false) {}

  elapsed(): number {
    return (Date.now() - this.t0) / 1000;
  }

  step(msg: string): void {
    if (!this.quiet) process.stderr.write(`[${this.elapsed().toFixed(1).padStart(6)}s] ${msg}\n`);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it answers true or the timeout passes. `describe` is
 * called on timeout to explain what was last seen (e.g. a log tail).
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; describe?: () => string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      lastError = (e as Error).message;
    }
    await sleep(opts.intervalMs ?? 250);
  }
  const detail = [lastError && `last error: ${lastError}`, opts.describe?.()].filter(Boolean).join('\n');
  throw new Error(`timed out after ${opts.timeoutMs / 1000}s waiting for ${what}${detail ? `\n${detail}` : ''}`);
}
