/**
 * Brings a `feedback` table written by an earlier inferd up to date, in place. Labels used to be keyed by
 * (request id, row) alone, so one client's id could block or join another model's or caller's prediction; they
 * are now keyed by (model, principal, request id, row). Existing labels keep their model and get the principal
 * 'anonymous', the principal the predictions of that time were migrated to (predictions-migration.ts), so they
 * still match their predictions. Idempotent; safe when two processes open the same store.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { sqliteFeedbackTable } from './feedback-schema-sqlite.js';

const KEPT =
  'request_id, row_index, model, version, prediction_time_ms, time_ms, kind, label, predicted, scores, positive_class';

/** SQLite cannot change a primary key in place: the table is rebuilt in one transaction. */
export function migrateSqliteFeedback(db: Database.Database): void {
  const rebuild = db.transaction(() => {
    const columns = (db.prepare('PRAGMA table_info(feedback)').all() as Array<{ name: string }>).map((c) => c.name);
    if (columns.length === 0 || columns.includes('principal')) return; // new, or already migrated
    db.exec(`${sqliteFeedbackTable('feedback_migrating')}
    INSERT OR IGNORE INTO feedback_migrating (${KEPT}, principal) SELECT ${KEPT}, 'anonymous' FROM feedback;
    DROP TABLE feedback;
    ALTER TABLE feedback_migrating RENAME TO feedback;`);
  });
  rebuild.immediate(); // takes the write lock first, so a second process waits and then finds the work done
}

/** PostgreSQL: adds `principal` and moves the primary key, under a lock, when the table predates them. */
export async function migratePostgresFeedback(pool: pg.Pool, schema: string): Promise<void> {
  const table = `"${schema}".feedback`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
    if (exists.rows[0]?.t) {
      await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const has = await client.query(
        'SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3',
        [schema, 'feedback', 'principal'],
      );
      if (has.rowCount === 0) {
        await client.query(`ALTER TABLE ${table} ADD COLUMN principal TEXT NOT NULL DEFAULT 'anonymous'`);
        await client.query(`ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS feedback_pkey`);
        await client.query(`ALTER TABLE ${table} ADD PRIMARY KEY (model, principal, request_id, row_index)`);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
