/**
 * The bounded buffer between the request path and the store, and the loop that drains it in batches.
 *
 * Requests only push (a few array operations); one drain loop at a time takes everything buffered (up to
 * MAX_BATCH) and hands it to the sink as one transaction, so batches grow with load (group commit). A batch the
 * store refuses is put back and retried with backoff (acknowledged records instead fail their requests); new
 * records meanwhile fill the buffer and the overflow policy decides.
 */
import { UnavailableError } from '../errors/index.js';
import type { AuditMetrics } from '../telemetry/audit-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { AuditRecord } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';
import { admitVerdict, type OverflowPolicy } from './audit-policy.js';
import type { StoreHealth } from './store-health.js';

/** Most records in one transaction. */
const MAX_BATCH = 1000;
/**
 * Async durability: how long the first record of a batch waits for company. Fewer, larger transactions cost the
 * store far less per record (each commit rewrites every index page it touched). Acknowledged records never wait.
 */
const ASYNC_LINGER_MS = 20;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

interface Entry {
  readonly record: AuditRecord;
  /** Set for acknowledged records: settled when the batch holding the record commits or fails. */
  readonly ack?: { resolve(): void; reject(err: Error): void };
}

interface Waiter {
  readonly resolve: () => void;
  readonly timer: NodeJS.Timeout;
}

export interface AuditWriterOptions {
  readonly sink: AuditSink;
  /** Records waiting (buffered plus in flight) before the overflow policy applies. */
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  readonly acknowledged: boolean;
  /** Backpressure: how long a request waits for room before it is refused. */
  readonly backpressureWaitMs: number;
  readonly metrics: AuditMetrics;
  readonly logger: Logger;
  /** Told whether each batch committed (readiness reads it). */
  readonly health?: StoreHealth;
}

export class AuditWriter {
  private queue: Entry[] = [];
  private inFlight = 0;
  private running = false;
  private stopping = false;
  private failures = 0;
  private retry: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private readonly waiters: Waiter[] = [];
  private idle: Array<() => void> = [];

  constructor(private readonly options: AuditWriterOptions) {}

  /** Records accepted and not yet committed. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /**
   * Called before a sampled request runs. Undefined when it may go ahead now; under backpressure (or acknowledged
   * durability) with a full buffer, a promise that resolves when there is room, or rejects with 503 after
   * backpressureWaitMs.
   */
  waitForRoom(): Promise<void> | undefined {
    const o = this.options;
    if (admitVerdict(this.pending, o.capacity, o.overflow, o.acknowledged) !== 'wait') return undefined;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(
          this.waiters.findIndex((w) => w.timer === timer),
          1,
        );
        o.metrics.refused.inc();
        reject(
          new UnavailableError(
            `the audit trail's buffer is full (${this.pending} records) because the ${o.sink.kind} store is not keeping up; retry later (or set audit.overflow: drop to keep serving and drop records)`,
          ),
        );
      }, o.backpressureWaitMs);
      this.waiters.push({ resolve, timer });
    });
  }

  /**
   * Buffers a finished record. Acknowledged: returns a promise settled when its batch commits. Otherwise returns
   * undefined, and with policy drop a record that finds the buffer full is dropped and counted.
   */
  push(record: AuditRecord, acknowledged: boolean): Promise<void> | undefined {
    const o = this.options;
    if (!acknowledged && admitVerdict(this.pending, o.capacity, o.overflow, false) === 'drop') {
      o.metrics.dropped.inc({ reason: 'overflow' });
      return undefined;
    }
    let done: Promise<void> | undefined;
    if (acknowledged) done = new Promise((resolve, reject) => this.queue.push({ record, ack: { resolve, reject } }));
    else this.queue.push({ record });
    o.metrics.buffered.set(this.pending);
    this.kick();
    return done;
  }

  /** Resolves once everything buffered so far has been written (or, when stopping, given up). */
  flush(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Writes what is buffered (one attempt per batch once stopping), then refuses nothing more. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.retry?.wake();
    await this.flush();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    // Acknowledged: the records of the current turn join the batch (group commit). Async: wait a little longer.
    if (this.options.acknowledged) setImmediate(() => void this.drain());
    else setTimeout(() => void this.drain(), ASYNC_LINGER_MS);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        this.inFlight = batch.length;
        const ok = await this.write(batch);
        this.inFlight = 0;
        if (!ok) await this.afterFailure(batch);
        this.options.metrics.buffered.set(this.pending);
        this.wakeWaiters();
      }
    } finally {
      // No await between the loop's last check and here: a push after this point starts a new drain.
      this.running = false;
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  /** One transaction; true when committed. */
  private async write(batch: readonly Entry[]): Promise<boolean> {
    const { sink, metrics, logger } = this.options;
    const started = performance.now();
    try {
      await sink.write(batch.map((e) => e.record));
    } catch (err) {
      metrics.writeFailures.inc();
      this.options.health?.failed(err);
      if (this.failures++ === 0)
        logger.warn({ err, store: sink.kind, records: batch.length }, 'audit store write failed; retrying');
      for (const e of batch)
        e.ack?.reject(
          new UnavailableError(
            `the audit store could not record this prediction (${(err as Error).message}); the answer is withheld because audit.durability is acknowledged`,
          ),
        );
      return false;
    }
    metrics.writeSeconds.observe((performance.now() - started) / 1000);
    metrics.written.inc(batch.length);
    this.options.health?.ok();
    if (this.failures > 0)
      logger.info({ store: sink.kind, failed_attempts: this.failures }, 'audit store writes recovered');
    this.failures = 0;
    for (const e of batch) e.ack?.resolve();
    return true;
  }

  /** Async records go back to the head of the queue and are retried after a backoff; when stopping, they are lost. */
  private async afterFailure(batch: readonly Entry[]): Promise<void> {
    const kept = batch.filter((e) => !e.ack);
    if (this.stopping) {
      this.options.metrics.dropped.inc({ reason: 'write_error' }, kept.length);
      if (kept.length)
        this.options.logger.error(
          { store: this.options.sink.kind, records: kept.length },
          'audit records lost: the store failed while stopping',
        );
      return;
    }
    this.queue.unshift(...kept);
    await this.backoff(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 10)));
  }

  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.retry = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.retry = { timer, wake };
    });
  }

  /** Lets waiting requests in, as many as there is room for. */
  private wakeWaiters(): void {
    let room = this.options.capacity - this.pending;
    while (room-- > 0 && this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      clearTimeout(w.timer);
      w.resolve();
    }
  }
}
