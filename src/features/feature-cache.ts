/**
 * The in-process cache of one feature view: entity key text → the row the store returned (or "no row"), with
 * a TTL, least-recently-used eviction bounded in entries and in estimated bytes, and a table of fetches in
 * flight so that concurrent misses for the same key wait for one store read (coalescing).
 *
 * Entries outlive their TTL until evicted: an expired entry is not served normally, but FeatureService serves it
 * when the store fails (stale-if-error), as long as the row's event time is within the view's max age.
 */
import type { CacheConfig } from '../config/index.js';
import type { StoredRow } from './types.js';

export interface CacheEntry {
  /** undefined: the store has no row for the key (cached too, so unknown ids do not hammer the store). */
  readonly row: StoredRow | undefined;
  readonly fetchedAtMs: number;
  readonly bytes: number;
}

/** What a fetch in flight resolves to, per key: the row, or why there is none. */
export type FetchOutcome =
  | { readonly ok: true; readonly row: StoredRow | undefined }
  | { readonly ok: false; readonly reason: 'store_error' | 'breaker_open' };

const ENTRY_OVERHEAD_BYTES = 96;
const VALUE_BYTES = 24;

function estimateBytes(key: string, row: StoredRow | undefined): number {
  const values = row ? Object.keys(row.values).length : 0;
  return ENTRY_OVERHEAD_BYTES + key.length * 2 + values * VALUE_BYTES;
}

export class FeatureCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<FetchOutcome>>();
  private totalBytes = 0;

  constructor(
    private readonly config: CacheConfig,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** The entry for a key, fresh or not (see isFresh), marking it recently used. */
  get(key: string): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** True while the entry is within the view's cache TTL. */
  isFresh(entry: CacheEntry): boolean {
    return this.now() - entry.fetchedAtMs < this.config.ttlMs;
  }

  /** Stores what the store returned for a key, evicting the least recently used entries beyond the bounds. */
  set(key: string, row: StoredRow | undefined): void {
    if (this.config.ttlMs === 0) return;
    this.delete(key);
    const entry = { row, fetchedAtMs: this.now(), bytes: estimateBytes(key, row) };
    this.entries.set(key, entry);
    this.totalBytes += entry.bytes;
    this.evict();
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.totalBytes -= old.bytes;
  }

  /** The fetch in flight for a key, if any: join it instead of reading again. */
  pending(key: string): Promise<FetchOutcome> | undefined {
    return this.inFlight.get(key);
  }

  /** Registers a fetch in flight for a key until it settles. */
  track(key: string, outcome: Promise<FetchOutcome>): void {
    this.inFlight.set(key, outcome);
    const forget = () => {
      if (this.inFlight.get(key) === outcome) this.inFlight.delete(key);
    };
    outcome.then(forget, forget);
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.config.maxEntries && this.totalBytes <= this.config.maxBytes) return;
      this.entries.delete(key);
      this.totalBytes -= entry.bytes;
    }
  }
}
