/**
 * Requests refused under load, summed: one warn line per model and interval with counts by reason, instead of a
 * line per request (a shedding server refuses thousands a second; a line each would bury everything else).
 *
 *   shed 5,912 requests in the last 5s: queue_full 5,900, evicted 12
 */
import type { Logger } from './logger.js';

export interface ShedLogOptions {
  readonly logger: Logger;
  /** How often the counts are written (and reset); default 5000. */
  readonly intervalMs?: number;
  /** Milliseconds, for the length of the interval a line reports; default Date.now. */
  readonly now?: () => number;
}

/** What ShedLog reads from an observation. */
export interface ShedObservation {
  readonly model: string;
  readonly outcome: string;
  readonly shedReason?: string;
}

const formatCount = (n: number) => n.toLocaleString('en-US');

/** Observer of every request: counts the rejected ones; `flush()` (every interval once started) writes them. */
export class ShedLog {
  private counts = new Map<string, Map<string, number>>();
  private since: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ShedLogOptions) {
    this.now = options.now ?? Date.now;
    this.since = this.now();
  }

  observe(o: ShedObservation): void {
    if (o.outcome !== 'rejected') return;
    let byReason = this.counts.get(o.model);
    if (!byReason) this.counts.set(o.model, (byReason = new Map()));
    const reason = o.shedReason ?? 'unavailable';
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }

  /** Writes one line per model that shed requests since the last flush, then starts counting afresh. */
  flush(): void {
    const now = this.now();
    const seconds = Math.max(0, Math.round((now - this.since) / 1000));
    this.since = now;
    const counts = this.counts;
    if (counts.size === 0) return;
    this.counts = new Map();
    for (const [model, byReason] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
      const reasons = [...byReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const total = reasons.reduce((n, [, c]) => n + c, 0);
      const text = reasons.map(([r, c]) => `${r} ${formatCount(c)}`).join(', ');
      this.options.logger.warn(
        { model, shed: total, reasons: Object.fromEntries(reasons), interval_s: seconds },
        `model ${model}: shed ${formatCount(total)} request${total === 1 ? '' : 's'} in the last ${seconds}s: ${text}`,
      );
    }
  }

  /** Flushes every interval. */
  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.options.intervalMs ?? 5000);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
