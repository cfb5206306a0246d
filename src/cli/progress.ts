/** A progress bar on a stream: redrawn in place on a terminal, periodic lines otherwise. */

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

const WIDTH = 30;
const LINE_EVERY_MS = 5000;

const fmt = (n: number): string => n.toLocaleString('en-US');

export function bar(done: number, total: number): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * WIDTH);
  const pct = Math.floor(ratio * 100);
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(pct).padStart(3)}% ${fmt(done)}/${fmt(total)} codes`;
}

export class ProgressBar {
  private lastLine = '';
  private lastAt = 0;
  private drawn = false;

  constructor(private readonly out: ProgressSink, private readonly label: string, private readonly now: () => number = Date.now) {}

  update(done: number, total: number, status: string): void {
    const line = `${this.label} ${bar(done, total)} ${status}`;
    if (this.out.isTTY) {
      if (line !== this.lastLine) this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      const due = this.now() - this.lastAt >= LINE_EVERY_MS;
      if (line !== this.lastLine && (due || this.lastLine === '' || done >= total)) {
        this.out.write(line + '\n');
        this.lastAt = this.now();
      }
    }
    this.lastLine = line;
  }

  /** Ends the bar's line (terminal) so later messages start on a fresh one. */
  finish(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
