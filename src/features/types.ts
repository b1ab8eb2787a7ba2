/**
 * The values the feature layer moves around. A feature value is a number (booleans are 0/1) or null for missing;
 * a row holds one view's features for one entity, stamped with the event time it describes.
 */

/** A feature value as stored: a number, or null when absent. Raw store values may be anything until validated. */
export type FeatureValue = number | null;

/** One entity's features of one view, as a store returns them. Values are keyed by feature name. */
export interface StoredRow {
  /** Event time of the row (when the values were true), in ms since the epoch. */
  readonly eventTimeMs: number;
  readonly values: Readonly<Record<string, unknown>>;
}

/** An entity's key values in the view's entity order (numbers for INT64 entities are kept as decimal strings). */
export type EntityKey = readonly string[];

/** One row to upsert into a view. */
export interface WriteRow {
  readonly entity: EntityKey;
  readonly eventTimeMs: number;
  /**
   * Feature name → value; null removes the value. Features not named keep their stored values: a write merges
   * into the entity's row (as Feast's online write does), and the row's event time becomes this row's.
   */
  readonly values: Readonly<Record<string, FeatureValue>>;
}

export interface WriteResult {
  /** Rows stored. */
  readonly written: number;
  /** Rows not stored because the store already held a newer row for the entity. */
  readonly skippedOlder: number;
}
