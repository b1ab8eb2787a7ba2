/**
 * The dashboard's live feed: while at least one page listens, a snapshot is read every `intervalMs` and as soon as a
 * decision or lifecycle event is recorded, serialised once and written to every listener as a Server-Sent Event.
 * However many tabs are open, one snapshot is read per tick; with none open nothing runs.
 */
import type { RoutingEvent } from '../control/control-types.js';
import type { Logger } from '../telemetry/logger.js';
import { readSnapshot, type SnapshotSources } from './snapshot-builder.js';
import type { EventFigures } from './snapshot.js';
import { SloReports } from './slo-reports.js';

export interface DashboardFeedOptions extends SnapshotSources {
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Milliseconds since the epoch (tests inject one). */
  readonly clock?: () => number;
  /** Events a new page is sent to draw its markers (the newest). */
  readonly historyEvents?: number;
  /** How long an SLO report is shown before it is read again (slo-reports.ts). */
  readonly sloRefreshMs?: number;
}

/** Where a listener's messages go: one SSE chunk at a time. */
export type Send = (chunk: string) => void;

/** Events kept between two snapshots at most: a burst beyond it is cut to its newest. */
const PENDING_LIMIT = 1000;

export function eventFigures(e: RoutingEvent): EventFigures {
  return {
    seq: e.seq,
    time: e.time,
    model: e.model,
    type: e.type,
    version: e.version ?? null,
    rollout: e.rollout ?? null,
    message: e.message,
  };
}

/** One Server-Sent Event. */
export function sseMessage(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class DashboardFeed {
  private readonly listeners = new Set<Send>();
  private pending: EventFigures[] = [];
  private latest: string | undefined;
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private stopped = false;
  private readonly clock: () => number;
  private readonly slo: SloReports;

  constructor(private readonly options: DashboardFeedOptions) {
    this.clock = options.clock ?? Date.now;
    this.slo = new SloReports(options.data, this.clock, options.sloRefreshMs);
    options.control.onEvent((e) => this.onEvent(e));
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  /** Pages listening now. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Recent events across models, oldest first, for a page's markers and its list of changes. */
  history(): EventFigures[] {
    const { control } = this.options;
    const limit = this.options.historyEvents ?? 200;
    const names = new Set(control.index().map((e) => e.name));
    const events = [...names].flatMap((m) => {
      try {
        return control.events(m).slice(-limit);
      } catch {
        return [];
      }
    });
    return events
      .sort((a, b) => a.seq - b.seq)
      .slice(-limit)
      .map(eventFigures);
  }

  /**
   * Adds a listener: it is sent the latest snapshot at once (or the first, read now), then every new one.
   * Returns how to remove it.
   */
  subscribe(send: Send): () => void {
    this.listeners.add(send);
    if (this.latest) send(this.latest);
    else this.refresh();
    this.timer ??= setInterval(() => this.refresh(), this.options.intervalMs).unref();
    return () => {
      this.listeners.delete(send);
      if (this.listeners.size === 0) this.idle();
    };
  }

  /** Ends the feed: listeners are dropped, no snapshot is read again. */
  stop(): void {
    this.stopped = true;
    this.listeners.clear();
    this.idle();
  }

  private idle(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.latest = undefined;
    this.pending = [];
    this.slo.clear();
  }

  private onEvent(e: RoutingEvent): void {
    if (!this.listeners.size) return;
    this.pending.push(eventFigures(e));
    if (this.pending.length > PENDING_LIMIT) this.pending.splice(0, this.pending.length - PENDING_LIMIT);
    this.refresh();
  }

  /** Reads a snapshot and sends it; one read at a time, and one more after it when asked meanwhile. */
  private refresh(): void {
    if (this.stopped || !this.listeners.size) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.read()
      .catch((err: unknown) => this.options.logger.warn({ err }, 'the dashboard could not read a snapshot'))
      .finally(() => {
        this.reading = undefined;
        if (this.readAgain) {
          this.readAgain = false;
          this.refresh();
        }
      });
  }

  private async read(): Promise<void> {
    const id = this.nextId++;
    const snapshot = await readSnapshot(this.options, this.slo.report, id, this.clock, () => {
      const events = this.pending;
      this.pending = [];
      return events;
    });
    if (!this.listeners.size) return;
    this.latest = sseMessage('snapshot', snapshot, id);
    for (const send of this.listeners) send(this.latest);
  }
}
