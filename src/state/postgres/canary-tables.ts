/**
 * The tables the canary leader and the shared evidence use, in the configured schema, created if missing:
 *
 * - canary_progress: one row per rollout, what the last recorded decision left (step, status, weight, times) and
 *   `seq`, the number of decisions recorded: a verdict is written only where `seq` and `step` are still what the
 *   leader judged from (a conditional UPDATE), so a stale leader's verdict changes nothing.
 * - canary_verdicts: one row per recorded decision, primary key (rollout_id, seq): the same decision cannot be
 *   recorded twice. Written in the same transaction as the progress row it moves.
 * - canary_evidence: per rollout step and replica, that replica's cumulative counts (replaced on every write).
 */
import type pg from 'pg';

/** A schema name as a quoted identifier (schema names are plain identifiers, checked by the config). */
export function quoted(schema: string): string {
  return `"${schema.replace(/"/g, '""')}"`;
}

export function canaryTablesSql(schema: string): string {
  const s = quoted(schema);
  return `CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.canary_progress (
  rollout_id text PRIMARY KEY,
  model text NOT NULL,
  seq integer NOT NULL,
  step integer NOT NULL,
  status text NOT NULL,
  weight double precision NOT NULL,
  step_started_ms bigint NOT NULL,
  review_ms bigint NOT NULL,
  finished_ms bigint,
  decision jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${s}.canary_verdicts (
  rollout_id text NOT NULL,
  seq integer NOT NULL,
  model text NOT NULL,
  step integer NOT NULL,
  action text NOT NULL,
  status text NOT NULL,
  weight double precision NOT NULL,
  replica text NOT NULL,
  decision jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, seq)
);
CREATE TABLE IF NOT EXISTS ${s}.canary_evidence (
  rollout_id text NOT NULL,
  step integer NOT NULL,
  replica text NOT NULL,
  model text NOT NULL,
  digest jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollout_id, step, replica)
);`;
}

/**
 * Creates the tables if missing. Several replicas starting at once may race on CREATE ... IF NOT EXISTS (it is
 * not atomic in PostgreSQL): a transaction-scoped advisory lock keyed on the schema serialises them.
 */
export async function createCanaryTables(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}.canary_tables`]);
    await client.query(canaryTablesSql(schema));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
