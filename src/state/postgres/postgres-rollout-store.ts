/**
 * The shared rollout store: rollouts, traffic policies and the event log in PostgreSQL, for replicas that serve
 * the same models. Implements routing's RolloutStore contract (the same cases as the SQLite store), and follows
 * what other replicas commit (change-feed.ts).
 *
 * Change numbering. Every write transaction takes one transaction-scoped advisory lock, then numbers each row it
 * writes from one sequence (`state_change_seq`) and ends with a NOTIFY. The lock serialises writers, so the numbers
 * follow commit order: a replica that has applied everything up to N can never later see a commit numbered below N
 * (without the lock, a transaction numbered 5 could commit after one numbered 6 and be skipped). Readers hold the
 * same lock in shared mode (beginRead). Writes are a few per decision, so serialising them costs nothing that
 * matters. An event's number is its `seq` in every replica that loads it at start.
 *
 * PostgreSQL unreachable. Changes are queued in memory, in order, up to `queueLimit`, and written when it returns
 * (the head is retried with back-off, 100 ms doubling to 5 s); the API acknowledges them at once, as with SQLite.
 * Past the limit `refusal()` says so and the API refuses changes with 503. Meanwhile the replica serves the state it
 * last read, and `health()` says since when.
 *
 * Nothing acknowledged is lost. Each change is first added to the journal in the state directory (write-journal.ts,
 * synchronously, before the API answers) and removed once PostgreSQL took it. A replica killed before that writes
 * the journal's changes at its next start, in order, before it loads the state. Each journaled write records its
 * key (origin, journal number) in `state_writes` in the same transaction, so one that committed just before the kill
 * is not written twice (its event not added twice, nor its rollout or policy written over a later change). Without
 * a writable state directory the replica warns at start and queues in memory only, as before.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type pg from 'pg';
import type { PostgresStateConfig } from '../../config/state-config.js';
import { ConfigError, UnavailableError } from '../../errors/index.js';
import type { RoutingEvent } from '../../routing/event-log.js';
import type { Rollout } from '../../routing/rollout.js';
import { policyFromJson, policyToJson, rolloutFromJson, rolloutToJson } from '../../routing/rollout-record.js';
import type {
  RemoteChanges,
  RolloutStore,
  SavedRolloutState,
  StateChange,
  StoreHealth,
} from '../../routing/rollout-store.js';
import type { TrafficPolicy } from '../../routing/traffic-policy.js';
import type { Logger } from '../../telemetry/logger.js';
import { ChangeFeed, NOTIFY_CHANNEL } from './change-feed.js';
import type { PostgresState } from './postgres-state.js';
import { WriteJournal } from './write-journal.js';

/** Events kept in the table; older ones are deleted when a store opens. */
const KEPT_EVENTS = 100_000;
const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;
/** How long the keys of journaled writes are kept in `state_writes` (a replica restarted later may write one twice). */
const KEPT_WRITE_KEYS_MS = 30 * 24 * 3600_000;

function schemaSql(s: string): string {
  return `CREATE SEQUENCE IF NOT EXISTS "${s}".state_change_seq;
CREATE TABLE IF NOT EXISTS "${s}".rollouts (
  id TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  status TEXT NOT NULL,
  step INTEGER NOT NULL,
  weight DOUBLE PRECISION NOT NULL,
  started_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  data TEXT NOT NULL,
  origin TEXT NOT NULL,
  change_seq BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS rollouts_change_seq ON "${s}".rollouts (change_seq);
CREATE TABLE IF NOT EXISTS "${s}".rollout_events (
  seq BIGINT PRIMARY KEY,
  origin TEXT NOT NULL,
  origin_seq BIGINT NOT NULL,
  time TEXT NOT NULL,
  model TEXT NOT NULL,
  type TEXT NOT NULL,
  version INTEGER,
  rollout TEXT,
  message TEXT NOT NULL,
  evidence TEXT,
  UNIQUE (origin, origin_seq)
);
CREATE TABLE IF NOT EXISTS "${s}".traffic_policies (
  model TEXT PRIMARY KEY,
  updated_ms BIGINT NOT NULL,
  data TEXT NOT NULL,
  origin TEXT NOT NULL,
  change_seq BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS traffic_policies_change_seq ON "${s}".traffic_policies (change_seq);
CREATE TABLE IF NOT EXISTS "${s}".state_writes (
  origin TEXT NOT NULL,
  journal_seq BIGINT NOT NULL,
  written_ms BIGINT NOT NULL,
  PRIMARY KEY (origin, journal_seq)
);`;
}

interface EventRow {
  seq: string;
  origin: string;
  time: string;
  model: string;
  type: string;
  version: number | null;
  rollout: string | null;
  message: string;
  evidence: string | null;
}

interface RolloutRow {
  id: string;
  data: string;
  origin: string;
  change_seq: string;
}

interface PolicyRow {
  model: string;
  data: string;
  origin: string;
  change_seq: string;
}

/** What one write transaction stores: any of a rollout, an event and a policy, as rows (plain JSON: journaled). */
interface WriteRows {
  /** The replica that made the change (a replayed write keeps the origin of the process that acknowledged it). */
  readonly origin: string;
  readonly rollout?: {
    readonly id: string;
    readonly model: string;
    readonly status: string;
    readonly step: number;
    readonly weight: number;
    readonly startedMs: number;
    readonly updatedMs: number;
    readonly data: string;
  };
  readonly event?: {
    readonly originSeq: number;
    readonly time: string;
    readonly model: string;
    readonly type: string;
    readonly version: number | null;
    readonly rollout: string | null;
    readonly message: string;
    readonly evidence: string | null;
  };
  readonly policy?: { readonly model: string; readonly updatedMs: number; readonly data: string };
}

/** One queued write; `journalSeq` when it is in the journal. */
interface Write {
  readonly rows: WriteRows;
  readonly journalSeq?: number | undefined;
  readonly done: (err?: unknown) => void;
}

/** The changes to write, as rows. */
interface Change {
  readonly rollout?: { readonly r: Rollout; readonly updatedAt: number } | undefined;
  readonly event?: RoutingEvent | undefined;
  readonly policy?: { readonly model: string; readonly p: TrafficPolicy; readonly updatedAt: number } | undefined;
}

function rowsOf(origin: string, c: Change): WriteRows {
  const { rollout, event: e, policy } = c;
  return {
    origin,
    ...(rollout && {
      rollout: {
        id: rollout.r.id,
        model: rollout.r.model,
        status: rollout.r.status,
        step: rollout.r.stepIndex,
        weight: rollout.r.weight,
        startedMs: rollout.r.startedAt,
        updatedMs: rollout.updatedAt,
        data: rolloutToJson(rollout.r),
      },
    }),
    ...(e && {
      event: {
        originSeq: e.seq,
        time: e.time,
        model: e.model,
        type: e.type,
        version: e.version ?? null,
        rollout: e.rollout ?? null,
        message: e.message,
        evidence: e.evidence === undefined ? null : JSON.stringify(e.evidence),
      },
    }),
    ...(policy && { policy: { model: policy.model, updatedMs: policy.updatedAt, data: policyToJson(policy.p) } }),
  };
}

function eventOf(row: EventRow): RoutingEvent {
  return {
    seq: Number(row.seq),
    time: row.time,
    model: row.model,
    type: row.type as RoutingEvent['type'],
    message: row.message,
    ...(row.version === null ? {} : { version: row.version }),
    ...(row.rollout === null ? {} : { rollout: row.rollout }),
    ...(row.evidence === null ? {} : { evidence: JSON.parse(row.evidence) as unknown }),
  };
}

/**
 * Errors that say the database could not be reached or went away (worth retrying), as opposed to ones about the
 * statement itself. A PostgreSQL error carries a five-character SQLSTATE: class 08 (connection), 57 (operator
 * intervention: shutdown), 53 (insufficient resources) and 40 (serialisation) are transient. Node's socket errors
 * and the pool's timeouts carry no SQLSTATE: transient too.
 */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return ['08', '57', '53', '40'].includes(code.slice(0, 2));
}

/** Gives a client back to the pool; one that failed with a connection error is discarded instead. */
function release(client: pg.PoolClient, failed: unknown): void {
  client.release(failed !== undefined && isTransient(failed) ? (failed as Error) : undefined);
}

export interface PostgresRolloutStoreOptions {
  readonly state: PostgresState;
  readonly config: Pick<PostgresStateConfig, 'pollMs' | 'queueLimit'> &
    Partial<Pick<PostgresStateConfig, 'journalPath'>>;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** False: follow by polling alone, without LISTEN (tests). Default true. */
  readonly notifications?: boolean | undefined;
}

export class PostgresRolloutStore implements RolloutStore {
  readonly location: string;
  private readonly state: PostgresState;
  private readonly clock: () => number;
  private readonly queue: Write[] = [];
  private draining = false;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private wake: (() => void) | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  /** The last change number applied (or loaded): the feed reads what comes after it. */
  private cursor = 0;
  private feed: ChangeFeed | undefined;
  private apply: ((c: RemoteChanges) => void) | undefined;
  private downSince: number | undefined;
  private downReason: string | undefined;
  /** When the state was last read in full or in part successfully (epoch ms). */
  private syncedAt: number;
  private readonly lockKey: string;
  private journal: WriteJournal<WriteRows> | undefined;

  private constructor(private readonly o: PostgresRolloutStoreOptions) {
    this.state = o.state;
    this.location = o.state.location;
    this.clock = o.clock ?? Date.now;
    this.syncedAt = this.clock();
    this.lockKey = `inferd_state_changes:${o.state.schema}`;
  }

  /** Creates the tables when missing and trims old events. Throws a ConfigError saying what to check. */
  static async open(o: PostgresRolloutStoreOptions): Promise<PostgresRolloutStore> {
    const store = new PostgresRolloutStore(o);
    const t = (name: string) => o.state.table(name);
    try {
      await o.state.ddl(schemaSql(o.state.schema));
      await o.state.pool.query(
        `DELETE FROM ${t('rollout_events')} WHERE seq <= (SELECT seq FROM ${t('rollout_events')} ORDER BY seq DESC LIMIT 1 OFFSET $1)`,
        [KEPT_EVENTS],
      );
      await o.state.pool.query(`DELETE FROM ${t('state_writes')} WHERE written_ms < $1`, [
        store.clock() - KEPT_WRITE_KEYS_MS,
      ]);
    } catch (err) {
      throw new ConfigError(
        `cannot prepare the state tables in ${o.state.location}: ${(err as Error).message}; check state.url and that the user may create tables in schema ${o.state.schema}`,
        { cause: err },
      );
    }
    await store.openJournal();
    return store;
  }

  /**
   * Opens the journal and writes what an earlier run left in it, in order, before the state is loaded (what it
   * cannot write now stays queued). Without a journal, says at once that queued changes will not survive a restart.
   */
  private async openJournal(): Promise<void> {
    const path = this.o.config.journalPath;
    if (path === undefined) return;
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.journal = WriteJournal.open<WriteRows>(path);
    } catch (err) {
      this.o.logger.warn(
        { journal: path, reason: (err as Error).message },
        'cannot keep the journal of queued state changes in the state directory: changes queued while PostgreSQL is unreachable will not survive a restart of this replica; make the state directory writable (--state-dir, INFERD_STATE_DIR or state_dir)',
      );
      return;
    }
    const pending = this.journal.pending();
    if (!pending.length) return;
    this.o.logger.warn(
      { journal: path, changes: pending.length },
      'writing the state changes an earlier run acknowledged but could not write to PostgreSQL',
    );
    for (const e of pending)
      this.queue.push({
        rows: e.data,
        journalSeq: e.seq,
        done: (err) => {
          if (err !== undefined)
            this.o.logger.error(
              { journal: path, reason: (err as Error).message },
              'a journaled state change could not be written',
            );
        },
      });
    await this.drain(true);
    if (this.queue.length) void this.drain();
  }

  private t(name: string): string {
    return this.state.table(name);
  }

  async load(maxEvents: number): Promise<SavedRolloutState> {
    const client = await this.state.pool.connect();
    let failed: unknown;
    try {
      await this.beginRead(client);
      const rollouts = await client.query<RolloutRow>(
        `SELECT id, data, origin, change_seq FROM ${this.t('rollouts')} ORDER BY started_ms, id`,
      );
      const events = await client.query<EventRow>(
        `SELECT * FROM (SELECT * FROM ${this.t('rollout_events')} ORDER BY seq DESC LIMIT $1) e ORDER BY seq`,
        [maxEvents],
      );
      const policies = await client.query<PolicyRow>(
        `SELECT model, data, origin, change_seq FROM ${this.t('traffic_policies')} ORDER BY model`,
      );
      const head = await this.sequenceHead(client);
      await client.query('COMMIT');
      this.cursor = Math.max(this.cursor, head);
      this.synced();
      return {
        rollouts: rollouts.rows.map((r) => this.rolloutOf(r)),
        events: events.rows.map(eventOf),
        policies: policies.rows.map((p) => ({ model: p.model, policy: this.policyOf(p) })),
      };
    } catch (err) {
      failed = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      release(client, failed);
    }
  }

  saveRollout(rollout: Rollout, updatedAt: number): Promise<void> {
    return this.enqueue({ rollout: { r: rollout, updatedAt } });
  }

  saveEvent(event: RoutingEvent): Promise<void> {
    return this.enqueue({ event });
  }

  savePolicy(model: string, policy: TrafficPolicy, updatedAt: number): Promise<void> {
    return this.enqueue({ policy: { model, p: policy, updatedAt } });
  }

  saveChange(c: StateChange): Promise<void> {
    return this.enqueue({
      event: c.event,
      policy: { model: c.model, p: c.policy, updatedAt: c.updatedAt },
      rollout: c.rollout && { r: c.rollout, updatedAt: c.updatedAt },
    });
  }

  follow(apply: (changes: RemoteChanges) => void): void {
    this.apply = apply;
    this.feed ??= new ChangeFeed({
      url: this.state.url,
      schema: this.state.schema,
      pollMs: this.o.config.pollMs,
      listen: this.o.notifications ?? true,
      applicationName: `inferd-state-feed:${this.state.instanceId}`.slice(0, 63),
      logger: this.o.logger,
      moved: async () => {
        const head = await this.sequenceHead(this.state.pool);
        this.synced();
        return head > this.cursor;
      },
      fetch: () => this.readChanges(),
      onError: (err) => this.down(err),
    });
    this.feed.start();
  }

  /**
   * Reads and applies what other replicas committed after the cursor, now (through the feed once following, so
   * two reads never overlap and nothing is applied twice).
   */
  fetch(): Promise<void> {
    return this.feed ? this.feed.trigger() : this.readChanges();
  }

  private async readChanges(): Promise<void> {
    const client = await this.state.pool.connect();
    let failed: unknown;
    let changes: RemoteChanges;
    let head: number;
    try {
      await this.beginRead(client);
      const after = [this.cursor];
      const rollouts = await client.query<RolloutRow>(
        `SELECT id, data, origin, change_seq FROM ${this.t('rollouts')} WHERE change_seq > $1 ORDER BY change_seq`,
        after,
      );
      const events = await client.query<EventRow>(
        `SELECT * FROM ${this.t('rollout_events')} WHERE seq > $1 ORDER BY seq`,
        after,
      );
      const policies = await client.query<PolicyRow>(
        `SELECT model, data, origin, change_seq FROM ${this.t('traffic_policies')} WHERE change_seq > $1 ORDER BY change_seq`,
        after,
      );
      head = await this.sequenceHead(client);
      await client.query('COMMIT');
      const mine = this.state.instanceId;
      changes = {
        events: events.rows.filter((e) => e.origin !== mine).map(eventOf),
        rollouts: rollouts.rows.filter((r) => r.origin !== mine).map((r) => this.rolloutOf(r)),
        policies: policies.rows
          .filter((p) => p.origin !== mine)
          .map((p) => ({ model: p.model, policy: this.policyOf(p) })),
      };
    } catch (err) {
      failed = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      release(client, failed);
    }
    this.synced();
    if (head <= this.cursor) return;
    this.cursor = head;
    if (changes.events.length || changes.rollouts.length || changes.policies.length) this.apply?.(changes);
  }

  health(): StoreHealth {
    const up = this.downSince === undefined;
    return {
      up,
      staleSeconds: up ? 0 : Math.max(0, (this.clock() - this.syncedAt) / 1000),
      queued: this.queue.length,
      problem: up
        ? undefined
        : `PostgreSQL state store ${this.location} unreachable since ${new Date(this.downSince!).toISOString()} (${this.downReason}); serving the rollouts and traffic policies last read ${Math.round((this.clock() - this.syncedAt) / 1000)} s ago; ${this.queue.length} change(s) made here are queued and will be written when it returns`,
    };
  }

  refusal(): string | undefined {
    if (this.queue.length < this.o.config.queueLimit) return undefined;
    return `the state store ${this.location} has been unreachable since ${new Date(this.downSince ?? this.clock()).toISOString()} and ${this.queue.length} changes are already waiting to be written (state.queue_limit); retry once PostgreSQL is back`;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.feed?.stop();
    clearTimeout(this.retryTimer);
    this.wake?.();
    if (this.queue.length) {
      const journaled = this.queue.filter((w) => w.journalSeq !== undefined).length;
      if (journaled)
        this.o.logger.warn(
          { state_store: this.location, queued: this.queue.length, journal: this.journal?.path },
          'closing with changes the state store has not taken yet: they stay in the journal and are written at the next start',
        );
      if (journaled < this.queue.length)
        this.o.logger.error(
          { state_store: this.location, lost: this.queue.length - journaled },
          'closing with changes the state store never took and that are not journaled: they are lost',
        );
      for (const w of this.queue.splice(0))
        w.done(new UnavailableError(`the state store ${this.location} was closed before this change was written`));
    }
    this.journal?.close();
    this.journal = undefined;
  }

  private enqueue(c: Change): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`the state store ${this.location} is closed`));
    const refused = this.refusal();
    if (refused) return Promise.reject(new UnavailableError(refused));
    const rows = rowsOf(this.state.instanceId, c);
    let journalSeq: number | undefined;
    try {
      journalSeq = this.journal?.add(rows);
    } catch (err) {
      this.o.logger.error(
        { journal: this.journal?.path, reason: (err as Error).message },
        'cannot add a state change to the journal: it is queued in memory only and would not survive a restart',
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, journalSeq, done: (err) => (err === undefined ? resolve() : reject(err)) });
      void this.drain();
    });
  }

  /**
   * Writes the queue head first, one at a time; waits and retries while the database is away (`once`: returns
   * instead, leaving the rest queued).
   */
  private async drain(once = false): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length && !this.closed) {
        const head = this.queue[0];
        try {
          await this.write(head);
        } catch (err) {
          if (this.closed) return;
          if (isTransient(err)) {
            this.down(err);
            if (once) return;
            await this.pause();
            continue;
          }
          this.queue.shift();
          this.forget(head);
          head.done(err);
          continue;
        }
        this.queue.shift();
        this.forget(head);
        this.backoffMs = MIN_BACKOFF_MS;
        this.up();
        head.done();
      }
    } finally {
      this.draining = false;
    }
  }

  /** Removes a write from the journal: written, or refused by the database for good. */
  private forget(w: Write): void {
    if (w.journalSeq === undefined) return;
    try {
      this.journal?.remove(w.journalSeq);
    } catch (err) {
      // Left in the journal: its key in state_writes keeps the next start from writing it twice.
      this.o.logger.warn({ journal: this.journal?.path, reason: (err as Error).message }, 'cannot update the journal');
    }
  }

  private pause(): Promise<void> {
    const delay = this.backoffMs * (0.75 + Math.random() / 2);
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    return new Promise((resolve) => {
      this.wake = resolve;
      this.retryTimer = setTimeout(resolve, delay);
      this.retryTimer.unref();
    });
  }

  private async write(w: Write): Promise<void> {
    const client = await this.state.pool.connect();
    const next = `nextval('${this.t('state_change_seq')}')`;
    const { origin, rollout: r, event: e, policy: p } = w.rows;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      // A journaled write that committed before its replica could forget it is not written again.
      const first =
        w.journalSeq === undefined ||
        (
          await client.query(
            `INSERT INTO ${this.t('state_writes')} (origin, journal_seq, written_ms) VALUES ($1, $2, $3)
             ON CONFLICT (origin, journal_seq) DO NOTHING`,
            [origin, w.journalSeq, this.clock()],
          )
        ).rowCount === 1;
      if (first && r) {
        await client.query(
          `INSERT INTO ${this.t('rollouts')} (id, model, status, step, weight, started_ms, updated_ms, data, origin, change_seq)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${next})
           ON CONFLICT (id) DO UPDATE SET model = excluded.model, status = excluded.status, step = excluded.step,
             weight = excluded.weight, started_ms = excluded.started_ms, updated_ms = excluded.updated_ms,
             data = excluded.data, origin = excluded.origin, change_seq = excluded.change_seq`,
          [r.id, r.model, r.status, r.step, r.weight, r.startedMs, r.updatedMs, r.data, origin],
        );
      }
      if (first && e) {
        // (origin, origin_seq) is unique: a write retried after its commit was not acknowledged adds nothing.
        await client.query(
          `INSERT INTO ${this.t('rollout_events')} (seq, origin, origin_seq, time, model, type, version, rollout, message, evidence)
           VALUES (${next}, $1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (origin, origin_seq) DO NOTHING`,
          [origin, e.originSeq, e.time, e.model, e.type, e.version, e.rollout, e.message, e.evidence],
        );
      }
      if (first && p) {
        await client.query(
          `INSERT INTO ${this.t('traffic_policies')} (model, updated_ms, data, origin, change_seq)
           VALUES ($1, $2, $3, $4, ${next})
           ON CONFLICT (model) DO UPDATE SET updated_ms = excluded.updated_ms, data = excluded.data,
             origin = excluded.origin, change_seq = excluded.change_seq`,
          [p.model, p.updatedMs, p.data, origin],
        );
      }
      if (first) await client.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, this.state.schema]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      release(client, err);
      throw err;
    }
    client.release();
  }

  /**
   * Starts a read that sees a state no writer is half-way through: it holds the writers' lock in shared mode, so no
   * write commits while it reads (each statement sees the same commits) and every number the sequence has handed
   * out is either committed and visible, or rolled back for good. The cursor can then move to the sequence's last
   * value, gaps included (PostgreSQL skips numbers after a crash, and a failed write uses one up). A reader waits
   * at most for the write in progress; readers never wait for each other.
   */
  private async beginRead(client: pg.PoolClient): Promise<void> {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL lock_timeout = '5s'`);
    await client.query('SELECT pg_advisory_xact_lock_shared(hashtext($1))', [this.lockKey]);
  }

  /** The last number the sequence handed out (0 before the first). */
  private async sequenceHead(client: pg.PoolClient | pg.Pool): Promise<number> {
    const r = await client.query<{ head: string }>(
      `SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS head FROM ${this.t('state_change_seq')}`,
    );
    return Number(r.rows[0].head);
  }

  private rolloutOf(r: RolloutRow): Rollout {
    return rolloutFromJson(r.data, `rollout ${r.id} in ${this.location}`);
  }

  private policyOf(p: PolicyRow): TrafficPolicy {
    return policyFromJson(p.data, `the traffic policy of model '${p.model}' in ${this.location}`);
  }

  private synced(): void {
    this.syncedAt = this.clock();
    this.up();
  }

  private up(): void {
    if (this.downSince === undefined) return;
    this.o.logger.info(
      { state_store: this.location, down_ms: this.clock() - this.downSince },
      'state store reachable again: queued changes are written and other replicas’ changes applied',
    );
    this.downSince = undefined;
    this.downReason = undefined;
    // Queued changes waiting out a back-off are written now.
    this.wake?.();
  }

  private down(err: unknown): void {
    const reason = (err as Error)?.message ?? String(err);
    if (this.downSince === undefined) {
      this.downSince = this.clock();
      this.o.logger.error(
        { state_store: this.location, reason, queued: this.queue.length },
        'state store unreachable: serving the last known rollouts and traffic policies; changes made here are queued',
      );
    }
    this.downReason = reason;
  }
}
