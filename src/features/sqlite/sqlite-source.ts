/**
 * The embedded feature store: one SQLite file (better-sqlite3), so `npm start` serves feature-backed models with
 * nothing else installed. Table `feature_rows(view, entity, event_time_ms, row_values)`: `entity` is the entity
 * key text (entity-key.ts), `row_values` a JSON object of feature name → number. Reads are synchronous and local
 * (microseconds); a write merges its features into the stored row, or skips a row whose event time is older than
 * the stored one, in the same statement.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { FeatureViewConfig } from '../../config/index.js';
import { ConfigError } from '../../errors/index.js';
import { entityKeyText } from '../entity-key.js';
import type { FeatureSource } from '../feature-source.js';
import type { EntityKey, StoredRow, WriteResult, WriteRow } from '../types.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS feature_rows (
  view TEXT NOT NULL,
  entity TEXT NOT NULL,
  event_time_ms INTEGER NOT NULL,
  row_values TEXT NOT NULL,
  PRIMARY KEY (view, entity)
) WITHOUT ROWID`;

// A row merges into the stored one: json_patch (RFC 7396) sets the features it names and removes those it names as
// null, keeping the rest. Equal event times merge too (last writer wins); older ones are skipped: the WHERE makes
// the upsert a no-op.
const UPSERT = `INSERT INTO feature_rows (view, entity, event_time_ms, row_values) VALUES (@view, @entity, @time, json_patch('{}', @values))
  ON CONFLICT (view, entity) DO UPDATE SET event_time_ms = excluded.event_time_ms,
    row_values = json_patch(feature_rows.row_values, @values)
  WHERE excluded.event_time_ms >= feature_rows.event_time_ms`;

interface Statements {
  readonly get: Database.Statement<[string, string], { event_time_ms: number; row_values: string }>;
  readonly upsert: Database.Statement<[{ view: string; entity: string; time: number; values: string }]>;
  readonly any: Database.Statement<[string], { one: number }>;
}

export class SqliteFeatureSource implements FeatureSource {
  private db: Database.Database | undefined;
  private statements: Statements | undefined;

  /** @param path a file (its folder is created) or ':memory:'. */
  constructor(
    readonly name: string,
    private readonly path: string,
  ) {}

  async start(): Promise<void> {
    let db: Database.Database;
    try {
      if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
      db = new Database(this.path);
    } catch (err) {
      throw new ConfigError(
        `cannot open the SQLite feature store '${this.name}' at ${this.path}: ${(err as Error).message}. ` +
          `Set its path in the features config to a writable file: '$STATE_DIR/<file>' puts it in the state directory ` +
          `(--state-dir, INFERD_STATE_DIR), ':memory:' keeps it in memory (seeded again at each start)`,
        { cause: err },
      );
    }
    db.pragma('journal_mode = WAL'); // readers (the server) and a writer (inferd features ingest) side by side
    db.pragma('busy_timeout = 2000');
    db.exec(SCHEMA);
    this.statements = {
      get: db.prepare('SELECT event_time_ms, row_values FROM feature_rows WHERE view = ? AND entity = ?'),
      upsert: db.prepare(UPSERT),
      any: db.prepare('SELECT 1 AS one FROM feature_rows WHERE view = ? LIMIT 1'),
    };
    this.db = db;
  }

  async stop(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.statements = undefined;
  }

  async read(view: FeatureViewConfig, keys: readonly EntityKey[]): Promise<Array<StoredRow | undefined>> {
    const get = this.opened().get;
    return keys.map((key) => {
      const r = get.get(view.name, entityKeyText(key));
      return r && { eventTimeMs: r.event_time_ms, values: JSON.parse(r.row_values) as Record<string, unknown> };
    });
  }

  async write(view: FeatureViewConfig, rows: readonly WriteRow[]): Promise<WriteResult> {
    const { upsert } = this.opened();
    let written = 0;
    this.db!.transaction(() => {
      for (const row of rows) {
        written += upsert.run({
          view: view.name,
          entity: entityKeyText(row.entity),
          time: row.eventTimeMs,
          values: JSON.stringify(row.values),
        }).changes;
      }
    })();
    return { written, skippedOlder: rows.length - written };
  }

  async hasRows(view: FeatureViewConfig): Promise<boolean> {
    return this.opened().any.get(view.name) !== undefined;
  }

  private opened(): Statements {
    if (!this.statements) throw new Error(`feature store '${this.name}' is not started`);
    return this.statements;
  }
}
