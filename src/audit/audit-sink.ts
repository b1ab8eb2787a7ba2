/**
 * Where audit records are kept. Implementations: SqliteAuditSink (embedded, the default) and PostgresAuditSink
 * (a shared store). Every implementation runs the cases in audit-sink.case.test.ts.
 */
import type { AuditQuery, AuditRecord, StoredPrediction } from './audit-record.js';

export interface AuditSink {
  /** A short name for logs and metrics: 'sqlite' or 'postgres'. */
  readonly kind: string;
  /** Opens the store and creates its table and indexes when missing. */
  start(): Promise<void>;
  /**
   * Writes a batch in one transaction. Resolves only once it is committed (durable as far as the store's
   * durability settings go); rejects when nothing of the batch was written.
   */
  write(records: readonly AuditRecord[]): Promise<void>;
  /** Records matching the filters, newest first. */
  query(query: AuditQuery): Promise<StoredPrediction[]>;
  /**
   * Commits a tiny write (one row of a health table), so that a store that can no longer commit (full disk,
   * unreachable server, broken file) is noticed without a request; rejects with the reason.
   */
  probe(): Promise<void>;
  /** Deletes records older than `timeMs` (ms since the epoch); resolves with how many were deleted. */
  deleteBefore(timeMs: number): Promise<number>;
  /** Closes the store. Writes already started finish first. */
  stop(): Promise<void>;
}
