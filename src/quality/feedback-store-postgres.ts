/**
 * Feedback labels in the prediction log's PostgreSQL schema: a `feedback` table beside `predictions` (same URL and
 * schema as `audit:`), so labels join predictions in the database. A pool of its own, small: feedback, quality
 * reports and the export/replay commands are not on the inference path.
 */
import pg from 'pg';
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
import type { LoggedPrediction } from '../audit/audit-record.js';
import { fromRow, POSTGRES_SELECT_PREDICTION, type PredictionRow } from '../audit/prediction-row.js';
import { postgresPredictionsMigrationSql } from '../audit/predictions-migration.js';
import { migratePostgresFeedback } from './feedback-migration.js';
import { survivePoolErrors } from '../lib/pg-pool-errors.js';

export interface PostgresFeedbackStoreOptions {
  readonly url: string;
  /** The prediction log's schema (a plain identifier, checked by the config). */
  readonly schema: string;
}

const FEEDBACK_SELECT = `request_id, principal, row_index, model, version, round(extract(epoch FROM prediction_time) * 1000)::float8 AS prediction_time_ms,
  round(extract(epoch FROM time) * 1000)::float8 AS time_ms, kind, label, predicted, scores::text AS scores, positive_class`;

function schemaSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS "${schema}".feedback (
  request_id TEXT NOT NULL,
  principal TEXT NOT NULL DEFAULT 'anonymous',
  row_index INTEGER NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  prediction_time TIMESTAMPTZ NOT NULL,
  time TIMESTAMPTZ NOT NULL,
  kind TEXT NOT NULL,
  label DOUBLE PRECISION NOT NULL,
  predicted DOUBLE PRECISION NOT NULL,
  scores JSONB,
  positive_class INTEGER,
  PRIMARY KEY (model, principal, request_id, row_index)
);
${postgresPredictionsMigrationSql(`"${schema}".predictions`)}
CREATE INDEX IF NOT EXISTS feedback_model_time ON "${schema}".feedback (model, time);
CREATE INDEX IF NOT EXISTS feedback_time ON "${schema}".feedback (time);`;
}

/** One array per column, for the unnest insert. */
function columnArrays(rows: readonly FeedbackRow[]): unknown[][] {
  const keys = [
    'request_id',
    'principal',
    'row_index',
    'model',
    'version',
    'prediction_time_ms',
    'time_ms',
    'kind',
    'label',
    'predicted',
    'scores',
    'positive_class',
  ] as const;
  return keys.map((k) => rows.map((r) => r[k]));
}

export class PostgresFeedbackStore implements FeedbackStore {
  readonly kind = 'postgres';
  private pool: pg.Pool | undefined;
  private readonly feedback: string;
  private readonly predictionsTable: string;

  constructor(private readonly options: PostgresFeedbackStoreOptions) {
    this.feedback = `"${options.schema}".feedback`;
    this.predictionsTable = `"${options.schema}".predictions`;
  }

  async start(): Promise<void> {
    const pool = new pg.Pool({
      connectionString: this.options.url,
      max: 2,
      connectionTimeoutMillis: 5000,
      query_timeout: 60_000,
    });
    survivePoolErrors(pool);
    try {
      await migratePostgresFeedback(pool, this.options.schema);
      await pool.query(schemaSql(this.options.schema));
    } catch (err) {
      await pool.end();
      throw new Error(
        `cannot prepare the feedback table ${this.feedback}: ${(err as Error).message}; check audit.url and that the user may create tables`,
        { cause: err },
      );
    }
    this.pool = pool;
  }

  async predictions(requestIds: readonly string[], scope: PredictionScope): Promise<LoggedPrediction[]> {
    const byModel = scope.model === undefined ? '' : 'AND p.model = $3';
    const sql = `SELECT ${POSTGRES_SELECT_PREDICTION} FROM ${this.predictionsTable} p WHERE p.request_id = ANY($1::text[]) AND p.principal = $2 ${byModel}`;
    const result = await this.open().query<PredictionRow & { seq: number | string }>(sql, [
      requestIds,
      scope.principal,
      ...(scope.model === undefined ? [] : [scope.model]),
    ]);
    return newestPerRequest(result.rows.map(fromRow));
  }

  async insert(records: readonly FeedbackRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const sql = `INSERT INTO ${this.feedback} (request_id, principal, row_index, model, version, prediction_time, time, kind, label, predicted, scores, positive_class)
      SELECT r, pn, ri, m, v, to_timestamp(pt / 1000.0), to_timestamp(t / 1000.0), k, l, pr, s::jsonb, pc
      FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[], $9::float8[], $10::float8[], $11::text[], $12::int[])
        AS x(r, pn, ri, m, v, pt, t, k, l, pr, s, pc)
      ON CONFLICT (model, principal, request_id, row_index) DO NOTHING`;
    const result = await this.open().query(sql, columnArrays(records.map(toFeedbackRow)));
    return result.rowCount ?? 0;
  }

  async window(sinceMs: number, model?: string, limit?: number): Promise<FeedbackRecord[]> {
    const args: Array<string | number> = model === undefined ? [sinceMs] : [sinceMs, model];
    const byModel = model === undefined ? '' : 'AND model = $2';
    const where = `time >= to_timestamp($1 / 1000.0) ${byModel}`;
    let sql = `SELECT ${FEEDBACK_SELECT} FROM ${this.feedback} WHERE ${where} ORDER BY time, request_id, row_index`;
    if (limit !== undefined) {
      // The newest `limit`, then back to oldest first.
      args.push(limit);
      sql = `SELECT * FROM (SELECT ${FEEDBACK_SELECT} FROM ${this.feedback} WHERE ${where} ORDER BY time DESC, request_id DESC, row_index DESC LIMIT $${args.length}) newest ORDER BY time_ms, request_id, row_index`;
    }
    const result = await this.open().query<FeedbackRow>(sql, args);
    return result.rows.map(fromFeedbackRow);
  }

  async models(sinceMs: number): Promise<string[]> {
    const sql = `SELECT DISTINCT model FROM ${this.feedback} WHERE time >= to_timestamp($1 / 1000.0) ORDER BY model`;
    return (await this.open().query<{ model: string }>(sql, [sinceMs])).rows.map((r) => r.model);
  }

  async labelsFor(model: string, requestIds: readonly string[]): Promise<FeedbackRecord[]> {
    const sql = `SELECT ${FEEDBACK_SELECT} FROM ${this.feedback} WHERE model = $1 AND request_id = ANY($2::text[]) ORDER BY request_id, principal, row_index`;
    return (await this.open().query<FeedbackRow>(sql, [model, requestIds])).rows.map(fromFeedbackRow);
  }

  async logged(q: LoggedQuery): Promise<LoggedPrediction[]> {
    const labeled = q.labeledOnly
      ? `AND EXISTS (SELECT 1 FROM ${this.feedback} f WHERE f.model = p.model AND f.principal = p.principal AND f.request_id = p.request_id)`
      : '';
    const sql = `SELECT ${POSTGRES_SELECT_PREDICTION} FROM ${this.predictionsTable} p
      WHERE p.model = $1 AND p.time >= to_timestamp($2 / 1000.0) AND p.id > $3 ${labeled} ORDER BY p.id LIMIT $4`;
    return (
      await this.open().query<PredictionRow & { seq: number | string }>(sql, [
        q.model,
        q.sinceMs,
        q.afterSeq ?? 0,
        q.limit,
      ])
    ).rows.map(fromRow);
  }

  async deleteBefore(timeMs: number): Promise<number> {
    return (
      (await this.open().query(`DELETE FROM ${this.feedback} WHERE time < to_timestamp($1 / 1000.0)`, [timeMs]))
        .rowCount ?? 0
    );
  }

  async stop(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }

  private open(): pg.Pool {
    if (!this.pool) throw new Error('the PostgreSQL feedback store is not started; call start() first');
    return this.pool;
  }
}
