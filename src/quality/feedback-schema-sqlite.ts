/** The SQLite `feedback` table, as the store creates it and the migration rebuilds an older one into. */

/** The CREATE TABLE statement of the feedback table under `name` (the migration builds it beside the old one). */
export function sqliteFeedbackTable(name: string, ifNotExists = false): string {
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${name} (
  request_id TEXT NOT NULL,
  principal TEXT NOT NULL DEFAULT 'anonymous',
  row_index INTEGER NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  prediction_time_ms INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  label REAL NOT NULL,
  predicted REAL NOT NULL,
  scores TEXT,
  positive_class INTEGER,
  PRIMARY KEY (model, principal, request_id, row_index)
);`;
}
