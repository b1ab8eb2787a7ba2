/**
 * Reads one feature view for a batch of entities within a deadline: fresh cache entries first, then one store
 * read for the misses (joining reads already in flight for the same keys), guarded by the store's circuit breaker.
 * A key the store cannot deliver in time is served from an expired cache entry when its event time is within
 * the view's max age (stale-if-error); otherwise it falls back to defaults, or the request is refused with 503
 * when the view says `fallback: reject`.
 */
import type { FeatureViewConfig } from '../config/index.js';
import { UnavailableError } from '../errors/index.js';
import type { FeatureMetrics } from '../telemetry/metrics.js';
import { Deadline, settleWithin, TIMED_OUT } from './budget.js';
import type { CircuitBreaker } from '../lib/circuit-breaker.js';
import { entityKeyText } from './entity-key.js';
import type { FeatureCache, FetchOutcome } from './feature-cache.js';
import type { FeatureSource } from './feature-source.js';
import type { EntityKey, StoredRow } from './types.js';

export type FallbackReason = 'missing' | 'stale' | 'store_error' | 'budget_exceeded' | 'breaker_open';

/** What a request gets for one entity of a view: a usable row, or the reason its features use defaults. */
export interface RowLookup {
  readonly row?: StoredRow;
  readonly fallback?: FallbackReason;
  /** The row came from an expired cache entry because the store failed. */
  readonly servedStale?: boolean;
}

export interface ViewReaderParts {
  readonly view: FeatureViewConfig;
  readonly source: FeatureSource;
  readonly cache: FeatureCache;
  readonly breaker: CircuitBreaker;
  readonly metrics: FeatureMetrics;
  /** Wall clock (ms since the epoch) for ages. */
  readonly now: () => number;
}

const REASON_TEXT: Record<FallbackReason, string> = {
  missing: 'has no row',
  stale: 'has only a row older than max_age_seconds',
  store_error: 'failed',
  budget_exceeded: 'did not answer within the feature budget',
  breaker_open: 'is failing (circuit breaker open)',
};

export class ViewReader {
  constructor(private readonly p: ViewReaderParts) {}

  /** Looks up every key (duplicates share one lookup); resolves by the deadline. */
  async lookup(keys: readonly EntityKey[], deadline: Deadline): Promise<RowLookup[]> {
    const texts = keys.map(entityKeyText);
    const pending = this.start(keys, texts, deadline);
    const waited = new Map<string, FetchOutcome | typeof TIMED_OUT>();
    const all = Promise.all([...pending].map(async ([text, p]) => waited.set(text, await p)));
    await settleWithin(all, deadline.remainingMs());
    const byText = new Map<string, RowLookup>();
    for (const text of pending.keys()) byText.set(text, this.resolve(text, waited.get(text) ?? TIMED_OUT));
    return texts.map((t) => byText.get(t)!);
  }

  /** Drops cached rows of these entities (after a write). */
  forget(keys: readonly EntityKey[]): void {
    for (const key of keys) this.p.cache.delete(entityKeyText(key));
  }

  /** Cache hits, joined fetches and one new store read, keyed by entity text. */
  private start(
    keys: readonly EntityKey[],
    texts: string[],
    deadline: Deadline,
  ): Map<string, Promise<FetchOutcome> | FetchOutcome> {
    const out = new Map<string, Promise<FetchOutcome> | FetchOutcome>();
    const toFetch: Array<{ key: EntityKey; text: string }> = [];
    let hits = 0;
    texts.forEach((text, i) => {
      if (out.has(text)) return;
      const entry = this.p.cache.get(text);
      if (entry && this.p.cache.isFresh(entry)) {
        out.set(text, { ok: true, row: entry.row });
        hits++;
        return;
      }
      const joined = this.p.cache.pending(text);
      if (joined) out.set(text, joined);
      else toFetch.push({ key: keys[i], text });
    });
    const view = this.p.view.name;
    if (hits) this.p.metrics.cacheLookups.inc({ view, result: 'hit' }, hits);
    if (out.size - hits + toFetch.length)
      this.p.metrics.cacheLookups.inc({ view, result: 'miss' }, out.size - hits + toFetch.length);
    if (toFetch.length) this.fetch(toFetch, deadline.remainingMs()).forEach((p, j) => out.set(toFetch[j].text, p));
    return out;
  }

  /** One store read for the keys, shared with later requests through the cache's in-flight table. */
  private fetch(
    items: ReadonlyArray<{ key: EntityKey; text: string }>,
    budgetMs: number,
  ): Array<Promise<FetchOutcome> | FetchOutcome> {
    const { view, source, cache, breaker, metrics } = this.p;
    if (!breaker.allow()) return items.map(() => ({ ok: false, reason: 'breaker_open' }) as const);
    metrics.storeReads.inc({ view: view.name, store: source.name });
    const started = performance.now();
    let judged = false; // the breaker hears one verdict per read: the first of outcome and budget overrun
    const verdict = (ok: boolean) => {
      if (!judged && ok) breaker.success();
      else if (!judged) breaker.failure();
      judged = true;
    };
    const overrun = setTimeout(() => verdict(false), Math.max(1, budgetMs));
    const read = source
      .read(
        view,
        items.map((i) => i.key),
      )
      .then(
        (rows) => {
          metrics.fetchSeconds.observe({ view: view.name }, (performance.now() - started) / 1000);
          rows.forEach((row, j) => cache.set(items[j].text, row));
          verdict(true);
          return rows.map((row): FetchOutcome => ({ ok: true, row }));
        },
        () => {
          verdict(false);
          return items.map((): FetchOutcome => ({ ok: false, reason: 'store_error' }));
        },
      );
    void read.finally(() => clearTimeout(overrun));
    return items.map((item, j) => {
      const outcome = read.then((o) => o[j]);
      cache.track(item.text, outcome);
      return outcome;
    });
  }

  private resolve(text: string, outcome: FetchOutcome | typeof TIMED_OUT): RowLookup {
    if (outcome === TIMED_OUT) return this.failed(text, 'budget_exceeded');
    if (!outcome.ok) return this.failed(text, outcome.reason);
    return this.usable(outcome.row);
  }

  private usable(row: StoredRow | undefined): RowLookup {
    if (!row) return this.fallback('missing');
    if (this.p.now() - row.eventTimeMs > this.p.view.maxAgeMs) return this.fallback('stale');
    return { row };
  }

  /** The store could not deliver: an expired cache entry within max age, else the view's fallback policy. */
  private failed(text: string, reason: FallbackReason): RowLookup {
    const { view, cache, metrics, source } = this.p;
    const entry = cache.get(text);
    if (entry) {
      metrics.cacheLookups.inc({ view: view.name, result: 'stale' });
      const found = this.usable(entry.row);
      return found.row ? { row: found.row, servedStale: true } : found;
    }
    if (view.fallback === 'reject') {
      throw new UnavailableError(
        `feature view '${view.name}': store '${source.name}' ${REASON_TEXT[reason]}, and the view says fallback: reject; retry shortly`,
      );
    }
    return this.fallback(reason);
  }

  private fallback(reason: FallbackReason): RowLookup {
    this.p.metrics.fallbacks.inc({ view: this.p.view.name, reason });
    return { fallback: reason };
  }
}
