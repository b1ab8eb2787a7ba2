/**
 * The embedded rollout store (better-sqlite3). Writes are a row or two per decision (a few per interval), so
 * they run on the main thread and are committed before the decision's API answer goes out. WAL journal,
 * `synchronous = NORMAL`: a commit survives a crash of the process.
 *
 * Shared by the processes of one server (`--processes N`, `shared`): every write also adds a row to
 * `state_changes` (numbered by SQLite in commit order: one writer at a time holds the database lock) naming its
 * origin and what it touched, and each process polls `PRAGMA data_version` (which moves only when another
 * connection commits) every `pollMs`, reads the rows after its cursor that other processes wrote and hands them to
 * `follow`'s callback, as the PostgreSQL store's change feed does for replicas. Events are then numbered by the
 * file (their local numbers differ between processes).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../../errors/index.js';
import type { RoutingEvent } from '../event-log.js';
import type { Rollout } from '../rollout.js';
import { policyFromJson, policyToJson, rolloutFromJson, rolloutToJson } from '../rollout-record.js';
import type { RemoteChanges, RolloutStore, SavedRolloutState, StateChange } from '../rollout-store.js';
import type { TrafficPolicy } from '../traffic-policy.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rollouts (
  id TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  status TEXT NOT NULL,
  step INTEGER NOT NULL,
  weight REAL NOT NULL,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rollouts_model ON rollouts (model, started_ms);
CREATE TABLE IF NOT EXISTS rollout_events (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  model TEXT NOT NULL,
  type TEXT NOT NULL,
  version INTEGER,
  rollout TEXT,
  message TEXT NOT NULL,
  evidence TEXT
);
CREATE TABLE IF NOT EXISTS traffic_policies (
  model TEXT PRIMARY KEY,
  updated_ms INTEGER NOT NULL,
  data TEXT NOT NULL
);`;

/** The change feed between the processes of one server (shared mode only). */
const SHARED_SCHEMA = `
CREATE TABLE IF NOT EXISTS state_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  origin TEXT NOT NULL,
  event_seq INTEGER,
  model TEXT,
  rollout_id TEXT
);`;

/** Change rows kept; older ones are deleted when a store opens (a process further behind reads the whole state). */
const KEPT_CHANGES = 10_000;

/** Several processes of one server share the file (see the header). */
export interface SharedSqliteOptions {
  /** This process: its own writes are not delivered back to it. */
  readonly origin: string;
  /** How often other processes' commits are looked for, in ms. */
  readonly pollMs: number;
}

interface ChangeRow {
  seq: number;
  event_seq: number | null;
  model: string | null;
  rollout_id: string | null;
}

/** Events kept in the file; older ones are deleted when the store opens. */
const KEPT_EVENTS = 100_000;

interface RolloutRow {
  id: string;
  data: string;
}

interface EventRow {
  seq: number;
  time: string;
  model: string;
  type: string;
  version: number | null;
  rollout: string | null;
  message: string;
  evidence: string | null;
}

interface PolicyRow {
  model: string;
  data: string;
}

function eventOf(row: EventRow): RoutingEvent {
  return {
    seq: row.seq,
    time: row.time,
    model: row.model,
    type: row.type as RoutingEvent['type'],
    message: row.message,
    ...(row.version === null ? {} : { version: row.version }),
    ...(row.rollout === null ? {} : { rollout: row.rollout }),
    ...(row.evidence === null ? {} : { evidence: JSON.parse(row.evidence) as unknown }),
  };
}

export class SqliteRolloutStore implements RolloutStore {
  private cursor = 0;
  private version = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
    private readonly shared?: SharedSqliteOptions,
  ) {
    // Only a file shared by several processes follows others: a store with `follow` is taken up as a replica
    // joining others (rollout-persistence.ts), while a process of its own restores its rollouts.
    if (shared) this.follow = (apply) => this.followOthers(apply);
  }

  /** Shared mode only: from now on, delivers what other processes commit (polled every `pollMs`). */
  readonly follow?: (apply: (changes: RemoteChanges) => void) => void;

  /** Opens (creating when missing) the database at `path` and its folder. Throws a ConfigError saying why not. */
  static open(path: string, shared?: SharedSqliteOptions): SqliteRolloutStore {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      // Events are kept for history, not forever: the newest KEPT_EVENTS stay (rollouts and policies are small).
      db.prepare(
        'DELETE FROM rollout_events WHERE seq <= (SELECT seq FROM rollout_events ORDER BY seq DESC LIMIT 1 OFFSET ?)',
      ).run(KEPT_EVENTS);
      if (shared) {
        db.exec(SHARED_SCHEMA);
        db.prepare(
          'DELETE FROM state_changes WHERE seq <= (SELECT seq FROM state_changes ORDER BY seq DESC LIMIT 1 OFFSET ?)',
        ).run(KEPT_CHANGES);
      }
      return new SqliteRolloutStore(db, path, shared);
    } catch (err) {
      throw new ConfigError(
        `cannot open the rollout store ${path}: ${(err as Error).message}; set state.path to a writable file`,
        { cause: err },
      );
    }
  }

  async load(maxEvents: number): Promise<SavedRolloutState> {
    return this.db.transaction(() => this.readAll(maxEvents))();
  }

  /** Everything saved, read in one transaction (in shared mode the cursor is the last change it includes). */
  private readAll(maxEvents: number): SavedRolloutState {
    if (this.shared) {
      this.cursor =
        this.db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM state_changes').get()?.seq ?? 0;
      this.version = this.dataVersion();
    }
    const rollouts = this.db.prepare<[], RolloutRow>('SELECT id, data FROM rollouts ORDER BY started_ms, id').all();
    const events = this.db
      .prepare<[number], EventRow>(
        'SELECT * FROM (SELECT * FROM rollout_events ORDER BY seq DESC LIMIT ?) ORDER BY seq',
      )
      .all(maxEvents);
    const policies = this.db.prepare<[], PolicyRow>('SELECT model, data FROM traffic_policies ORDER BY model').all();
    return {
      rollouts: rollouts.map((r) => rolloutFromJson(r.data, `rollout ${r.id} in ${this.location}`)),
      events: events.map(eventOf),
      policies: policies.map((p) => ({
        model: p.model,
        policy: policyFromJson(p.data, `the traffic policy of model '${p.model}' in ${this.location}`),
      })),
    };
  }

  async saveRollout(r: Rollout, updatedAt: number): Promise<void> {
    this.db.transaction(() => {
      this.insertRollout(r, updatedAt);
      if (this.shared) this.saveShared(undefined, r.model, r.id);
    })();
  }

  async saveEvent(e: RoutingEvent): Promise<void> {
    if (this.shared) return this.saveShared(e, undefined, undefined);
    this.insertEvent(e);
  }

  /** Writes an event; in shared mode the file numbers it (processes number their events apart) and says which. */
  private insertEvent(e: RoutingEvent): number {
    const evidence = e.evidence === undefined ? null : JSON.stringify(e.evidence);
    return Number(
      this.db
        .prepare(
          'INSERT OR REPLACE INTO rollout_events (seq, time, model, type, version, rollout, message, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          this.shared ? null : e.seq,
          e.time,
          e.model,
          e.type,
          e.version ?? null,
          e.rollout ?? null,
          e.message,
          evidence,
        ).lastInsertRowid,
    );
  }

  /** Shared mode: the writes and their change row in one transaction. */
  private saveShared(event: RoutingEvent | undefined, model: string | undefined, rollout: string | undefined): void {
    const shared = this.shared as SharedSqliteOptions;
    const eventSeq = event ? this.insertEvent(event) : null;
    this.db
      .prepare('INSERT INTO state_changes (origin, event_seq, model, rollout_id) VALUES (?, ?, ?, ?)')
      .run(shared.origin, eventSeq, model ?? null, rollout ?? null);
  }

  private followOthers(apply: (changes: RemoteChanges) => void): void {
    if (!this.shared || this.timer) return;
    this.timer = setInterval(() => {
      if (!this.db.open) return;
      try {
        const changes = this.fetchRemote();
        if (changes) apply(changes);
      } catch {
        // A busy or briefly locked file: the next poll reads the same rows (the cursor did not move).
      }
    }, this.shared.pollMs);
    this.timer.unref();
  }

  private dataVersion(): number {
    return Number(this.db.pragma('data_version', { simple: true }));
  }

  /** Other processes' changes after the cursor, or undefined when there are none. */
  private fetchRemote(): RemoteChanges | undefined {
    const version = this.dataVersion();
    if (version === this.version) return undefined;
    return this.db.transaction(() => {
      this.version = version;
      const rows = this.db
        .prepare<[number], ChangeRow & { origin: string }>(
          'SELECT seq, origin, event_seq, model, rollout_id FROM state_changes WHERE seq > ? ORDER BY seq',
        )
        .all(this.cursor);
      if (!rows.length) return undefined;
      this.cursor = rows[rows.length - 1].seq;
      const remote = rows.filter((r) => r.origin !== (this.shared as SharedSqliteOptions).origin);
      if (!remote.length) return undefined;
      const eventOfSeq = this.db.prepare<[number], EventRow>('SELECT * FROM rollout_events WHERE seq = ?');
      const rolloutOf = this.db.prepare<[string], RolloutRow>('SELECT id, data FROM rollouts WHERE id = ?');
      const policyOf = this.db.prepare<[string], PolicyRow>('SELECT model, data FROM traffic_policies WHERE model = ?');
      const events: RoutingEvent[] = [];
      for (const r of remote) {
        const e = r.event_seq === null ? undefined : eventOfSeq.get(r.event_seq);
        if (e) events.push(eventOf(e));
      }
      const rolloutIds = new Set(remote.flatMap((r) => (r.rollout_id === null ? [] : [r.rollout_id])));
      const models = new Set(remote.flatMap((r) => (r.model === null ? [] : [r.model])));
      return {
        events,
        rollouts: [...rolloutIds].flatMap((id) => {
          const row = rolloutOf.get(id);
          return row ? [rolloutFromJson(row.data, `rollout ${row.id} in ${this.location}`)] : [];
        }),
        policies: [...models].flatMap((model) => {
          const row = policyOf.get(model);
          return row
            ? [
                {
                  model,
                  policy: policyFromJson(row.data, `the traffic policy of model '${model}' in ${this.location}`),
                },
              ]
            : [];
        }),
      };
    })();
  }

  async savePolicy(model: string, policy: TrafficPolicy, updatedAt: number): Promise<void> {
    this.db.transaction(() => {
      this.insertPolicy(model, policy, updatedAt);
      if (this.shared) this.saveShared(undefined, model, undefined);
    })();
  }

  private insertPolicy(model: string, policy: TrafficPolicy, updatedAt: number): void {
    this.db
      .prepare('INSERT OR REPLACE INTO traffic_policies (model, updated_ms, data) VALUES (?, ?, ?)')
      .run(model, updatedAt, policyToJson(policy));
  }

  private insertRollout(r: Rollout, updatedAt: number): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO rollouts (id, model, status, step, weight, started_ms, updated_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(r.id, r.model, r.status, r.stepIndex, r.weight, r.startedAt, updatedAt, rolloutToJson(r));
  }

  /** A decision's event, policy and rollout in one transaction. */
  async saveChange(c: StateChange): Promise<void> {
    this.db.transaction(() => {
      this.insertPolicy(c.model, c.policy, c.updatedAt);
      if (c.rollout) this.insertRollout(c.rollout, c.updatedAt);
      if (this.shared) this.saveShared(c.event, c.model, c.rollout?.id);
      else this.insertEvent(c.event);
    })();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.db.open) this.db.close();
  }
}
