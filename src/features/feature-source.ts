/**
 * The contract every feature store implements (embedded SQLite, Redis, Feast's Redis layout). Stores are dumb:
 * they read and write rows. Caching, budgets, breakers, validation and fallbacks live above them, in
 * FeatureService, so every store behaves the same to a request.
 */
import type { FeatureViewConfig } from '../config/index.js';
import type { EntityKey, StoredRow, WriteResult, WriteRow } from './types.js';

export interface FeatureSource {
  /** The store's name in features.yaml. */
  readonly name: string;
  /** Connects (Redis) or opens (SQLite). A Redis that is down does not fail start: reads fail until it is back. */
  start(): Promise<void>;
  /** Closes connections and files. */
  stop(): Promise<void>;
  /**
   * Reads the rows of `keys` in one round trip, in order; undefined where the store has no row.
   * Rejects when the store cannot answer (down, timed out).
   */
  read(view: FeatureViewConfig, keys: readonly EntityKey[]): Promise<Array<StoredRow | undefined>>;
  /**
   * Upserts rows, each merged into the entity's stored row: the features it names are set (null: removed), the
   * others keep their values, and the row takes its event time. A row whose event time is older than the stored
   * row's is skipped: older writes never win.
   */
  write(view: FeatureViewConfig, rows: readonly WriteRow[]): Promise<WriteResult>;
  /** True when the store holds at least one row of the view (used to seed an empty store once). */
  hasRows(view: FeatureViewConfig): Promise<boolean>;
}
