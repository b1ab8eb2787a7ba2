/**
 * The shared audit store: a `predictions` table in PostgreSQL (node-postgres pool), in a configurable schema.
 * A batch is one INSERT ... SELECT FROM unnest(...) statement (twelve array parameters whatever the batch size), so it
 * commits or fails as a whole. `synchronous_commit` is on when durability is acknowledged (a commit returns once
 * its WAL is flushed) and off otherwise (commits return at once; a crash of the database server can lose the
 * last few, never corrupt).
 */
import pg from 'pg';
import type { AuditQuery, AuditRecord, StoredPrediction } from '../audit-record.js';
import type { AuditSink } from '../audit-sink.js';
import { fromRow, POSTGRES_SELECT_PREDICTION, predictionJson, toRow, type PredictionRow } from '../prediction-row.js';
import { postgresPredictionsMigrationSql } from '../predictions-migration.js';
import { survivePoolErrors } from '../../lib/pg-pool-errors.js';

export interface PostgresAuditSinkOptions {
  /** Connection URL, e.g. postgres://user@127.0.0.1:5432/inferd. */
  readonly url: string;
  /** Schema of the `predictions` table; created when missing. A plain identifier (checked by the config). */
  readonly schema: string;
  readonly durability: 'async' | 'acknowledged';
}

const COLUMNS =
  'request_id, time, caller, principal, claimed_caller, model, version, protocol, latency_ms, inputs, outputs, parameters';

function schemaSql(table: string, schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS ${table} (
  id BIGSERIAL PRIMARY KEY,
  request_id TEXT NOT NULL,
  time TIMESTAMPTZ NOT NULL,
  caller TEXT NOT NULL,
  principal TEXT NOT NULL DEFAULT 'anonymous',
  claimed_caller TEXT,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  protocol TEXT NOT NULL,
  latency_ms DOUBLE PRECISION NOT NULL,
  inputs JSONB NOT NULL,
  outputs JSONB NOT NULL,
  parameters JSONB
);
${postgresPredictionsMigrationSql(table)}
CREATE INDEX IF NOT EXISTS predictions_time ON ${table} (time);
CREATE INDEX IF NOT EXISTS predictions_model_time ON ${table} (model, time);
CREATE INDEX IF NOT EXISTS predictions_request_id ON ${table} (request_id);
CREATE TABLE IF NOT EXISTS "${schema}".inferd_health (id INTEGER PRIMARY KEY, time TIMESTAMPTZ NOT NULL);`;
}

/** One array per column, in COLUMNS order, for the unnest insert. */
function columnArrays(rows: readonly PredictionRow[]): unknown[][] {
  const keys = [
    'request_id',
    'time_ms',
    'caller',
    'principal',
    'claimed_caller',
    'model',
    'version',
    'protocol',
    'latency_ms',
    'inputs',
    'outputs',
    'parameters',
  ] as const;
  return keys.map((k) => rows.map((r) => r[k]));
}

export class PostgresAuditSink implements AuditSink {
  readonly kind = 'postgres';
  private readonly table: string;
  private pool: pg.Pool | undefined;

  constructor(private readonly options: PostgresAuditSinkOptions) {
    this.table = `"${options.schema}".predictions`;
  }

  async start(): Promise<void> {
    const pool = new pg.Pool({
      connectionString: this.options.url,
      max: 4,
      connectionTimeoutMillis: 5000,
      query_timeout: 30_000,
      options: `-c synchronous_commit=${this.options.durability === 'acknowledged' ? 'on' : 'off'}`,
    });
    survivePoolErrors(pool);
    try {
      await pool.query(schemaSql(this.table, this.options.schema));
    } catch (err) {
      await pool.end();
      throw new Error(
        `cannot prepare the audit table ${this.table} at ${redactUrl(this.options.url)}: ${(err as Error).message}; check audit.url and that the user may create tables`,
        { cause: err },
      );
    }
    this.pool = pool;
  }

  async write(records: readonly AuditRecord[]): Promise<void> {
    const sql = `INSERT INTO ${this.table} (${COLUMNS})
      SELECT r, to_timestamp(t / 1000.0), c, pr, cc, m, v, p, l, i::jsonb, o::jsonb, pa::jsonb
      FROM unnest($1::text[], $2::float8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[], $11::text[], $12::text[])
        AS x(r, t, c, pr, cc, m, v, p, l, i, o, pa)`;
    await this.started().query(sql, columnArrays(records.map(toRow)));
  }

  async probe(): Promise<void> {
    await this.started().query(
      `INSERT INTO "${this.options.schema}".inferd_health (id, time) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET time = excluded.time`,
    );
  }

  async query(q: AuditQuery): Promise<StoredPrediction[]> {
    const all: Array<[string, string | number | undefined]> = [
      ['model = $', q.model],
      ['time >= to_timestamp($ / 1000.0)', q.sinceMs],
      ['request_id = $', q.requestId],
    ];
    const used = all.filter((f): f is [string, string | number] => f[1] !== undefined);
    const where = used.map((f, i) => f[0].replace('$', `$${i + 1}`)).join(' AND ');
    const sql = `SELECT ${POSTGRES_SELECT_PREDICTION} FROM ${this.table} ${where ? `WHERE ${where}` : ''} ORDER BY time DESC, id DESC LIMIT $${used.length + 1}`;
    const result = await this.started().query<PredictionRow & { seq: string }>(sql, [
      ...used.map((f) => f[1]),
      q.limit,
    ]);
    return result.rows.map((r) => predictionJson(fromRow(r)));
  }

  async deleteBefore(timeMs: number): Promise<number> {
    const result = await this.started().query(`DELETE FROM ${this.table} WHERE time < to_timestamp($1 / 1000.0)`, [
      timeMs,
    ]);
    return result.rowCount ?? 0;
  }

  async stop(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }

  private started(): pg.Pool {
    if (!this.pool) throw new Error('the PostgreSQL audit store is not started; call start() first');
    return this.pool;
  }
}

/** The URL without its password, for error messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
