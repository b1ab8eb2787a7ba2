/**
 * Brings a `predictions` table written by an earlier inferd up to date, in place: the `principal` column (the
 * authenticated caller; 'anonymous' for older rows, whose caller was only ever the client's claim) and
 * `claimed_caller`. Run by the audit stores when they open and by the feedback stores (the export and replay
 * commands open a log the server may not have opened since the upgrade). Idempotent, safe to run concurrently.
 */
import type Database from 'better-sqlite3';

const COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['principal', `TEXT NOT NULL DEFAULT 'anonymous'`],
  ['claimed_caller', 'TEXT'],
];

/** SQLite: adds the missing columns; a table that does not exist yet is left to its creator. */
export function migrateSqlitePredictions(db: Database.Database): void {
  const have = new Set(
    (db.prepare('PRAGMA table_info(predictions)').all() as Array<{ name: string }>).map((c) => c.name),
  );
  if (have.size === 0) return;
  for (const [name, type] of COLUMNS) {
    if (have.has(name)) continue;
    try {
      db.exec(`ALTER TABLE predictions ADD COLUMN ${name} ${type}`);
    } catch (err) {
      // Another connection (the audit worker, an export command) added it first.
      if (!/duplicate column name/i.test((err as Error).message)) throw err;
    }
  }
}

/** PostgreSQL: the statement that adds the missing columns to `table` ("schema".predictions) when it exists. */
export function postgresPredictionsMigrationSql(table: string): string {
  const adds = COLUMNS.map(([name, type]) => `ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${name} ${type};`).join(
    '\n    ',
  );
  return `DO $migrate$ BEGIN
  IF to_regclass('${table.replace(/'/g, "''")}') IS NOT NULL THEN
    ${adds}
  END IF;
END $migrate$;`;
}
