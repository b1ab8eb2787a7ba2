/**
 * A progress bar for long CLI jobs, on stderr so stdout stays clean for results. On a terminal it redraws one
 * line (at most every 100 ms); elsewhere (CI logs, pipes) it prints a line at each tenth of the way.
 */

export interface ProgressState {
  readonly done: number;
  readonly total: number;
  /** Shown after the bar, e.g. "1,200 rows (1,180 written, 20 older skipped)". */
  readonly detail: string;
}

const WIDTH = 30;

/** One line of the bar: `[#########---------]  45% detail`. */
export function formatProgress(label: string, { done, total, detail }: ProgressState): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * WIDTH);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${detail}`;
}

export class ProgressBar {
  private lastDrawMs = 0;
  private lastTenth = -1;
  private last: ProgressState | undefined;
  private lastPrinted = '';

  constructor(
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  update(state: ProgressState): void {
    this.last = state;
    const line = formatProgress(this.label, state);
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDrawMs < 100 && state.done < state.total) return;
      this.lastDrawMs = now;
      this.out.write(`\r${line}\x1b[K`);
      return;
    }
    const tenth = state.total > 0 ? Math.floor((10 * state.done) / state.total) : 10;
    if (tenth !== this.lastTenth) {
      this.out.write(`${line}\n`);
      this.lastPrinted = line;
    }
    this.lastTenth = tenth;
  }

  /** Draws the final state (if not yet shown) and ends the bar's line. */
  finish(): void {
    if (this.out.isTTY) {
      if (this.last) this.out.write(`\r${formatProgress(this.label, this.last)}\x1b[K`);
      this.out.write('\n');
    } else if (this.last && formatProgress(this.label, this.last) !== this.lastPrinted) {
      this.out.write(`${formatProgress(this.label, this.last)}\n`);
    }
  }
}
