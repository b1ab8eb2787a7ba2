/**
 * The SQLite prediction table, synchronous (better-sqlite3). It runs inside the audit worker thread
 * (sqlite-audit-worker.ts), so inserts, commits and fsyncs never block the server's event loop.
 *
 * Journal mode WAL. `synchronous = FULL` when durability is acknowledged: a commit returns only after the WAL is
 * fsynced, so an acknowledged record survives a crash of the process or the machine. NORMAL otherwise: commits
 * survive a crash of the process (SIGKILL), and the last ones may be lost if the machine loses power.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditQuery, AuditRecord, StoredPrediction } from '../audit-record.js';
import { fromRow, predictionJson, SQLITE_SELECT_PREDICTION, toRow, type PredictionRow } from '../prediction-row.js';
import { migrateSqlitePredictions } from '../predictions-migration.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS predictions (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  caller TEXT NOT NULL,
  principal TEXT NOT NULL DEFAULT 'anonymous',
  claimed_caller TEXT,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  protocol TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  inputs TEXT NOT NULL,
  outputs TEXT NOT NULL,
  parameters TEXT
);
CREATE INDEX IF NOT EXISTS predictions_time ON predictions (time_ms);
CREATE INDEX IF NOT EXISTS predictions_model_time ON predictions (model, time_ms);
CREATE INDEX IF NOT EXISTS predictions_request_id ON predictions (request_id);
CREATE TABLE IF NOT EXISTS inferd_health (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL);`;

const INSERT = `INSERT INTO predictions (request_id, time_ms, caller, principal, claimed_caller, model, version, protocol, latency_ms, inputs, outputs, parameters)
  VALUES (@request_id, @time_ms, @caller, @principal, @claimed_caller, @model, @version, @protocol, @latency_ms, @inputs, @outputs, @parameters)`;

/** The WHERE clause of a query and its arguments. */
function filters(q: AuditQuery): { where: string; args: Array<string | number> } {
  const all: Array<[string, string | number | undefined]> = [
    ['model = ?', q.model],
    ['time_ms >= ?', q.sinceMs],
    ['request_id = ?', q.requestId],
  ];
  const used = all.filter((f): f is [string, string | number] => f[1] !== undefined);
  return { where: used.length ? `WHERE ${used.map((f) => f[0]).join(' AND ')}` : '', args: used.map((f) => f[1]) };
}

export type SqliteDurability = 'async' | 'acknowledged';

export class SqliteAuditStore {
  private readonly insertMany: (rows: readonly PredictionRow[]) => void;

  private constructor(private readonly db: Database.Database) {
    const insert = db.prepare<PredictionRow>(INSERT);
    this.insertMany = db.transaction((rows: readonly PredictionRow[]) => {
      for (const row of rows) insert.run(row);
    });
  }

  /** Opens (creating when missing) the database at `path`; its folder is created too. */
  static open(path: string, durability: SqliteDurability): SqliteAuditStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'acknowledged' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -32768'); // 32 MiB: the indexes' hot pages stay in memory between batches
    // Checkpoint every ~40 MiB of WAL instead of 4: a page rewritten by many commits is copied back once.
    db.pragma('wal_autocheckpoint = 10000');
    migrateSqlitePredictions(db); // before SCHEMA: a log from an earlier inferd gets its new columns
    db.exec(SCHEMA);
    return new SqliteAuditStore(db);
  }

  /** Inserts the batch in one transaction; committed when this returns. */
  write(records: readonly AuditRecord[]): void {
    this.insertMany(records.map(toRow));
  }

  /** Commits one row of the health table: throws when the store can no longer commit. */
  probe(timeMs: number): void {
    this.db
      .prepare(
        'INSERT INTO inferd_health (id, time_ms) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET time_ms = excluded.time_ms',
      )
      .run(timeMs);
  }

  query(q: AuditQuery): StoredPrediction[] {
    const { where, args } = filters(q);
    const sql = `SELECT ${SQLITE_SELECT_PREDICTION} FROM predictions ${where} ORDER BY time_ms DESC, id DESC LIMIT ?`;
    return this.db
      .prepare<Array<string | number>, PredictionRow & { seq: number }>(sql)
      .all(...args, q.limit)
      .map((r) => predictionJson(fromRow(r)));
  }

  deleteBefore(timeMs: number): number {
    return this.db.prepare('DELETE FROM predictions WHERE time_ms < ?').run(timeMs).changes;
  }

  close(): void {
    this.db.close();
  }
}
