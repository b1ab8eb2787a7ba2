/**
 * The journal of queued state writes: a small SQLite file in the state directory
 * (`<state_dir>/pending-state-changes.db`) holding every change a replica acknowledged but has not yet written to
 * PostgreSQL, in order. A change is added (synchronously, fsynced: `synchronous = FULL`, rollback journal) before
 * the API answers, and removed once PostgreSQL took it. A replica that was killed meanwhile finds them at its next
 * start and writes them first.
 */
import Database from 'better-sqlite3';

/** A journaled write: the rows one transaction writes, as plain JSON (see postgres-rollout-store.ts). */
export interface JournalEntry<T> {
  /** The entry's number in the journal: increasing, never reused (the write's key in PostgreSQL with `origin`). */
  readonly seq: number;
  readonly data: T;
}

export class WriteJournal<T> {
  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {}

  /** Opens (creates) the journal; throws when the file cannot be created or written. */
  static open<T>(path: string): WriteJournal<T> {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = DELETE');
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE IF NOT EXISTS pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, data TEXT NOT NULL)');
    } catch (err) {
      db.close();
      throw err;
    }
    return new WriteJournal<T>(db, path);
  }

  /** Adds a write; returns its number once it is on disk. */
  add(data: T): number {
    const r = this.db.prepare('INSERT INTO pending (data) VALUES (?)').run(JSON.stringify(data));
    return Number(r.lastInsertRowid);
  }

  remove(seq: number): void {
    this.db.prepare('DELETE FROM pending WHERE seq = ?').run(seq);
  }

  /** The writes still pending, oldest first. */
  pending(): Array<JournalEntry<T>> {
    return this.db
      .prepare<[], { seq: number; data: string }>('SELECT seq, data FROM pending ORDER BY seq')
      .all()
      .map((r) => ({ seq: r.seq, data: JSON.parse(r.data) as T }));
  }

  close(): void {
    this.db.close();
  }
}
