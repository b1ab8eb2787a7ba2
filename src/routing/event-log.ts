/**
 * Every routing and lifecycle decision as an event with its evidence: kept (bounded) for the API, logged, and
 * counted for the metrics. Events are numbered in order so a client can poll with `since`.
 */
import type { Logger } from '../telemetry/logger.js';

export type EventType =
  | 'traffic_changed'
  | 'rollout_started'
  | 'rollout_advanced'
  | 'rollout_held'
  | 'rollout_promoted'
  | 'rollout_rolled_back'
  | 'rollout_paused'
  | 'rollout_resumed'
  | 'rollout_aborted'
  /** A rollout taken up again from the rollout store after a restart. */
  | 'rollout_restored'
  | 'version_ready'
  | 'version_refused'
  /** A change to a model folder's own files (config, labels) refused by the integrity check. */
  | 'model_refused'
  | 'version_unloaded';

export interface RoutingEvent {
  /** Position in the server's event sequence, from 1. */
  readonly seq: number;
  /** ISO-8601 time. */
  readonly time: string;
  readonly model: string;
  readonly type: EventType;
  readonly version?: number | undefined;
  readonly rollout?: string;
  readonly message: string;
  readonly evidence?: unknown;
}

export type NewEvent = Omit<RoutingEvent, 'seq' | 'time'> & { readonly checks?: readonly string[] };

/** A count of events by model, type and the check that caused it ('' when none), for the metrics. */
export interface EventCount {
  readonly model: string;
  readonly type: EventType;
  readonly check: string;
  readonly count: number;
}

const WARN_TYPES = new Set<EventType>(['rollout_rolled_back', 'version_refused', 'rollout_aborted', 'model_refused']);

export class EventLog {
  private readonly events: RoutingEvent[] = [];
  private readonly counts = new Map<string, EventCount>();
  private seq = 0;
  private readonly listeners: Array<(e: RoutingEvent) => void> = [];

  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
    private readonly capacity = 10_000,
  ) {}

  /** Records, logs and counts an event; `checks` (failed check names) label the count. */
  record(event: NewEvent): RoutingEvent {
    const { checks, ...rest } = event;
    const e: RoutingEvent = { seq: ++this.seq, time: new Date(this.clock()).toISOString(), ...rest };
    this.events.push(e);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    for (const check of checks?.length ? checks : ['']) this.count(e.model, e.type, check);
    const fields = {
      event: e.type,
      model: e.model,
      version: e.version,
      rollout: e.rollout,
      seq: e.seq,
      evidence: e.evidence,
    };
    if (WARN_TYPES.has(e.type)) this.logger.warn(fields, e.message);
    else this.logger.info(fields, e.message);
    for (const listener of this.listeners) listener(e);
    return e;
  }

  /** Calls `listener` with every event recorded from now on (the rollout store keeps them). */
  onRecord(listener: (e: RoutingEvent) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Adds an event another replica recorded (delivered by a shared store): numbered after this log's last event, not
   * logged, counted or passed to listeners (it was, where it was recorded; the store already holds it).
   */
  append(event: RoutingEvent): RoutingEvent {
    const e: RoutingEvent = { ...event, seq: ++this.seq };
    this.events.push(e);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    return e;
  }

  /**
   * Puts back events kept from before a restart (in sequence order), before any new one is recorded: numbering
   * continues after the last of them, so clients polling with `since` miss nothing that was kept.
   */
  restore(events: readonly RoutingEvent[]): void {
    if (this.events.length) throw new Error('EventLog.restore must run before the first event is recorded');
    this.events.push(...events.slice(-this.capacity));
    this.seq = Math.max(this.seq, ...events.map((e) => e.seq));
  }

  /** A model's events after `since` (a seq), oldest first, at most `limit`. */
  list(model: string, since = 0, limit = 1000): RoutingEvent[] {
    return this.events.filter((e) => e.model === model && e.seq > since).slice(0, limit);
  }

  /** Event counts for the metrics. */
  totals(): EventCount[] {
    return [...this.counts.values()];
  }

  private count(model: string, type: EventType, check: string): void {
    const key = `${model}\u0000${type}\u0000${check}`;
    const c = this.counts.get(key);
    this.counts.set(key, { model, type, check, count: (c?.count ?? 0) + 1 });
  }
}
