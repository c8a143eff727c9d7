// A progress bar on stderr for long experiments: one line, redrawn in place on
// a terminal, plain lines otherwise (CI logs).
export class ProgressBar {
  private last = '';
  constructor(private readonly total: number, private done = 0) {}

  step(label: string): void {
    this.done = Math.min(this.total, this.done + 1);
    this.draw(label);
  }

  note(label: string): void {
    this.draw(label);
  }

  private draw(label: string): void {
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round((this.done / this.total) * 100)).padStart(3)}% ${label}`;
    if (line === this.last) return;
    this.last = line;
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  end(): void {
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}
