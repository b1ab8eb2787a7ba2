/**
 * Messages between SqliteAuditSink (main thread) and its worker. Every request carries an id; the worker answers
 * each with the same id, in order.
 */
import type { AuditQuery, AuditRecord, StoredPrediction } from '../audit-record.js';
import type { SqliteDurability } from './sqlite-audit-store.js';

export interface SqliteWorkerData {
  readonly path: string;
  readonly durability: SqliteDurability;
}

export type ToSqliteWorker =
  | { readonly id: number; readonly op: 'write'; readonly records: readonly AuditRecord[] }
  | { readonly id: number; readonly op: 'query'; readonly query: AuditQuery }
  | { readonly id: number; readonly op: 'delete'; readonly timeMs: number }
  | { readonly id: number; readonly op: 'probe'; readonly timeMs: number }
  | { readonly id: number; readonly op: 'close' };

export type FromSqliteWorker =
  | { readonly id: 0; readonly ok: true; readonly value: 'opened' }
  | { readonly id: number; readonly ok: true; readonly value: StoredPrediction[] | number | undefined }
  | { readonly id: number; readonly ok: false; readonly message: string };
