/**
 * The embedded rollout store (better-sqlite3). Writes are a row or two per decision (a few per interval), so
 * they run on the main thread and are committed before the decision's API answer goes out. WAL journal,
 * `synchronous = NORMAL`: a commit survives a crash of the process.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../../errors/index.js';
import type { RoutingEvent } from '../event-log.js';
import type { Rollout } from '../rollout.js';
import { policyFromJson, policyToJson, rolloutFromJson, rolloutToJson } from '../rollout-record.js';
import type { RolloutStore, SavedRolloutState, StateChange } from '../rollout-store.js';
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
  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {}

  /** Opens (creating when missing) the database at `path` and its folder. Throws a ConfigError saying why not. */
  static open(path: string): SqliteRolloutStore {
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
      return new SqliteRolloutStore(db, path);
    } catch (err) {
      throw new ConfigError(
        `cannot open the rollout store ${path}: ${(err as Error).message}; set state.path to a writable file`,
        { cause: err },
      );
    }
  }

  async load(maxEvents: number): Promise<SavedRolloutState> {
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
    this.db
      .prepare(
        'INSERT OR REPLACE INTO rollouts (id, model, status, step, weight, started_ms, updated_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(r.id, r.model, r.status, r.stepIndex, r.weight, r.startedAt, updatedAt, rolloutToJson(r));
  }

  async saveEvent(e: RoutingEvent): Promise<void> {
    const evidence = e.evidence === undefined ? null : JSON.stringify(e.evidence);
    this.db
      .prepare(
        'INSERT OR REPLACE INTO rollout_events (seq, time, model, type, version, rollout, message, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(e.seq, e.time, e.model, e.type, e.version ?? null, e.rollout ?? null, e.message, evidence);
  }

  async savePolicy(model: string, policy: TrafficPolicy, updatedAt: number): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO traffic_policies (model, updated_ms, data) VALUES (?, ?, ?)')
      .run(model, updatedAt, policyToJson(policy));
  }

  /** A decision's event, policy and rollout in one transaction. */
  async saveChange(c: StateChange): Promise<void> {
    this.db.transaction(() => {
      void this.saveEvent(c.event);
      void this.savePolicy(c.model, c.policy, c.updatedAt);
      if (c.rollout) void this.saveRollout(c.rollout, c.updatedAt);
    })();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
