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
