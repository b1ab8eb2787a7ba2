/**
 * Feedback labels in the prediction log's SQLite file: a `feedback` table beside `predictions`, over a connection
 * of its own (better-sqlite3, WAL: it reads while the audit worker writes). Calls are synchronous on the calling
 * thread; they serve POST /v1/feedback, quality reports and the export/replay commands, never the inference path.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import {
  fromFeedbackRow,
  newestPerRequest,
  toFeedbackRow,
  type FeedbackRecord,
  type FeedbackRow,
  type FeedbackStore,
  type LoggedQuery,
  type PredictionScope,
} from './feedback-store.js';
import { fromRow, SQLITE_SELECT_PREDICTION, type PredictionRow } from '../audit/prediction-row.js';
import type { LoggedPrediction } from '../audit/audit-record.js';
import { migrateSqlitePredictions } from '../audit/predictions-migration.js';
import { migrateSqliteFeedback } from './feedback-migration.js';
import { sqliteFeedbackTable } from './feedback-schema-sqlite.js';

const SCHEMA = `
${sqliteFeedbackTable('feedback', true)}
CREATE INDEX IF NOT EXISTS feedback_model_time ON feedback (model, time_ms);
CREATE INDEX IF NOT EXISTS feedback_time ON feedback (time_ms);`;

const FEEDBACK_COLUMNS =
  'request_id, principal, row_index, model, version, prediction_time_ms, time_ms, kind, label, predicted, scores, positive_class';
const LABELED =
  'EXISTS (SELECT 1 FROM feedback f WHERE f.model = p.model AND f.principal = p.principal AND f.request_id = p.request_id)';

export interface SqliteFeedbackStoreOptions {
  /** The prediction log's database file. */
  readonly path: string;
  /** Fail when the file does not exist (the commands that only read the log) instead of creating it. */
  readonly mustExist?: boolean | undefined;
}

export class SqliteFeedbackStore implements FeedbackStore {
  readonly kind = 'sqlite';
  private db: Database.Database | undefined;

  constructor(private readonly options: SqliteFeedbackStoreOptions) {}

  async start(): Promise<void> {
    const { path, mustExist } = this.options;
    if (mustExist && path !== ':memory:' && !existsSync(path)) {
      throw new Error(`no prediction log at ${path}; check audit.path in the server config (or --config)`);
    }
    const db = new Database(path);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    migrateSqlitePredictions(db);
    migrateSqliteFeedback(db);
    db.exec(SCHEMA);
    this.db = db;
  }

  async predictions(requestIds: readonly string[], scope: PredictionScope): Promise<LoggedPrediction[]> {
    const byModel = scope.model === undefined ? '' : 'AND p.model = ?';
    const sql = `SELECT ${SQLITE_SELECT_PREDICTION} FROM predictions p WHERE p.request_id IN (SELECT value FROM json_each(?)) AND p.principal = ? ${byModel}`;
    const args = [JSON.stringify(requestIds), scope.principal, ...(scope.model === undefined ? [] : [scope.model])];
    const rows = this.open()
      .prepare<string[], PredictionRow & { seq: number | string }>(sql)
      .all(...args);
    return newestPerRequest(rows.map(fromRow));
  }

  async insert(records: readonly FeedbackRecord[]): Promise<number> {
    const db = this.open();
    const statement = db.prepare<FeedbackRow>(`INSERT INTO feedback (${FEEDBACK_COLUMNS})
      VALUES (@request_id, @principal, @row_index, @model, @version, @prediction_time_ms, @time_ms, @kind, @label, @predicted, @scores, @positive_class)
      ON CONFLICT (model, principal, request_id, row_index) DO NOTHING`);
    return db.transaction((rows: readonly FeedbackRow[]) => rows.reduce((n, r) => n + statement.run(r).changes, 0))(
      records.map(toFeedbackRow),
    );
  }

  async window(sinceMs: number, model?: string, limit?: number): Promise<FeedbackRecord[]> {
    const where = model === undefined ? 'time_ms >= ?' : 'time_ms >= ? AND model = ?';
    const args: Array<string | number> = model === undefined ? [sinceMs] : [sinceMs, model];
    const order = 'time_ms, request_id, row_index';
    let sql = `SELECT ${FEEDBACK_COLUMNS} FROM feedback WHERE ${where} ORDER BY ${order}`;
    if (limit !== undefined) {
      // The newest `limit`, then back to oldest first.
      sql = `SELECT * FROM (SELECT ${FEEDBACK_COLUMNS} FROM feedback WHERE ${where} ORDER BY time_ms DESC, request_id DESC, row_index DESC LIMIT ?) ORDER BY ${order}`;
      args.push(limit);
    }
    return this.open()
      .prepare<Array<string | number>, FeedbackRow>(sql)
      .all(...args)
      .map(fromFeedbackRow);
  }

  async models(sinceMs: number): Promise<string[]> {
    return this.open()
      .prepare<[number], { model: string }>('SELECT DISTINCT model FROM feedback WHERE time_ms >= ? ORDER BY model')
      .all(sinceMs)
      .map((r) => r.model);
  }

  async labelsFor(model: string, requestIds: readonly string[]): Promise<FeedbackRecord[]> {
    const sql = `SELECT ${FEEDBACK_COLUMNS} FROM feedback WHERE model = ? AND request_id IN (SELECT value FROM json_each(?)) ORDER BY request_id, principal, row_index`;
    return this.open()
      .prepare<[string, string], FeedbackRow>(sql)
      .all(model, JSON.stringify(requestIds))
      .map(fromFeedbackRow);
  }

  async logged(q: LoggedQuery): Promise<LoggedPrediction[]> {
    const sql = `SELECT ${SQLITE_SELECT_PREDICTION} FROM predictions p
      WHERE p.model = ? AND p.time_ms >= ? AND p.id > ? ${q.labeledOnly ? `AND ${LABELED}` : ''} ORDER BY p.id LIMIT ?`;
    return this.open()
      .prepare<Array<string | number>, PredictionRow & { seq: number | string }>(sql)
      .all(q.model, q.sinceMs, q.afterSeq ?? 0, q.limit)
      .map(fromRow);
  }

  async deleteBefore(timeMs: number): Promise<number> {
    return this.open().prepare('DELETE FROM feedback WHERE time_ms < ?').run(timeMs).changes;
  }

  async stop(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }

  private open(): Database.Database {
    if (!this.db) throw new Error('the SQLite feedback store is not started; call start() first');
    return this.db;
  }
}
