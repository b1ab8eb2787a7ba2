/**
 * The online feature layer: the stores of features.yaml, one cache per view, one circuit breaker per store.
 * `lookup` serves a request's enrichment; `write` and `ingestCsv` serve ingestion. start() opens the stores,
 * seedEmptyViews() loads seed CSVs into empty views, stop() closes the stores in reverse order.
 */
import type { FeatureViewConfig, FeaturesConfig } from '../config/index.js';
import { NotFoundError, UnavailableError } from '../errors/index.js';
import type { Logger } from '../telemetry/logger.js';
import { BREAKER_STATE_VALUE, type FeatureMetrics } from '../telemetry/metrics.js';
import type { Deadline } from './budget.js';
import { CircuitBreaker } from '../lib/circuit-breaker.js';
import { createFeatureSource } from './create-source.js';
import { readCsvBatches, type CsvBatch } from './csv.js';
import { FeatureCache } from './feature-cache.js';
import type { FeatureSource } from './feature-source.js';
import { toWriteRow } from './ingest-rows.js';
import type { EntityKey, WriteResult, WriteRow } from './types.js';
import { ViewReader, type RowLookup } from './view-reader.js';

export interface FeatureServiceOptions {
  readonly config: FeaturesConfig;
  readonly logger: Logger;
  readonly metrics: FeatureMetrics;
  /** Wall clock in ms (ages, cache TTLs, breakers); tests may pass their own. */
  readonly now?: () => number;
  /** Stores by name, instead of building them from the config (tests). */
  readonly sources?: Readonly<Record<string, FeatureSource>>;
}

/** Progress of a CSV ingestion, reported after each batch. */
export interface IngestProgress extends WriteResult {
  readonly rows: number;
  readonly bytesRead: number;
  readonly totalBytes: number;
}

const CSV_BATCH_ROWS = 500;

export class FeatureService {
  private readonly sources = new Map<string, FeatureSource>();
  private readonly readers = new Map<string, ViewReader>();
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly options: FeatureServiceOptions) {
    const now = options.now ?? Date.now;
    const breakers = this.breakers;
    for (const store of Object.values(options.config.stores)) {
      this.sources.set(store.name, options.sources?.[store.name] ?? createFeatureSource(store, options.logger));
      const breaker = store.kind === 'sqlite' ? { failureThreshold: 5, openMs: 1000 } : store.breaker;
      breakers.set(store.name, new CircuitBreaker(breaker, now, (state) => this.breakerChanged(store.name, state)));
      options.metrics.breakerState.set({ store: store.name }, BREAKER_STATE_VALUE.closed);
    }
    for (const view of Object.values(options.config.views)) {
      const parts = {
        view,
        source: this.sources.get(view.store)!,
        breaker: breakers.get(view.store)!,
        metrics: options.metrics,
        now,
      };
      this.readers.set(view.name, new ViewReader({ ...parts, cache: new FeatureCache(view.cache, now) }));
    }
  }

  /**
   * Why requests fail now for want of a feature store, or undefined. `needed` are the views some serving model
   * reads without a fallback of its own for `features`; of those, a `fallback: reject` view answers 503 while its
   * store's breaker refuses (open, until open_ms passes: then the next request probes the store again). Views
   * with `fallback: default` only degrade answers, so their stores never count.
   */
  readinessProblem(needed: ReadonlySet<string>): string | undefined {
    const failing = new Map<string, string[]>();
    for (const view of Object.values(this.options.config.views)) {
      if (view.fallback !== 'reject' || !needed.has(view.name) || !this.breakers.get(view.store)?.refusing()) continue;
      failing.set(view.store, [...(failing.get(view.store) ?? []), view.name]);
    }
    if (failing.size === 0) return undefined;
    return [...failing]
      .map(
        ([store, views]) =>
          `feature store '${store}' is failing (circuit breaker open); requests needing view ${views.map((v) => `'${v}'`).join(', ')} are refused (fallback: reject)`,
      )
      .join('; ');
  }

  get budgetMs(): number {
    return this.options.config.budgetMs;
  }

  get metrics(): FeatureMetrics {
    return this.options.metrics;
  }

  /** Opens the stores in declaration order. */
  async start(): Promise<void> {
    for (const source of this.sources.values()) await source.start();
  }

  /** Loads each view's seed CSV into its store when the store holds none of the view's rows (first start). */
  async seedEmptyViews(): Promise<void> {
    for (const view of Object.values(this.options.config.views)) await this.seed(view);
  }

  /** Closes the stores in reverse order. */
  async stop(): Promise<void> {
    for (const source of [...this.sources.values()].reverse()) await source.stop();
  }

  /** The view's config; 404 naming the declared views when there is none. */
  view(name: string): FeatureViewConfig {
    const view = this.options.config.views[name];
    if (!view)
      throw new NotFoundError(
        `unknown feature view '${name}'; ${this.options.config.source} declares: ${Object.keys(this.options.config.views).join(', ') || 'none'}`,
      );
    return view;
  }

  hasView(name: string): boolean {
    return name in this.options.config.views;
  }

  /** One view's rows for a batch of entities, by the deadline (see ViewReader). */
  lookup(viewName: string, keys: readonly EntityKey[], deadline: Deadline): Promise<RowLookup[]> {
    this.view(viewName);
    return this.readers.get(viewName)!.lookup(keys, deadline);
  }

  /** Upserts rows into a view's store (older rows never replace newer ones) and drops them from the cache. */
  async write(viewName: string, rows: readonly WriteRow[]): Promise<WriteResult> {
    const view = this.view(viewName);
    const source = this.sources.get(view.store)!;
    let result: WriteResult;
    try {
      result = await source.write(view, rows);
    } catch (err) {
      throw new UnavailableError(
        `feature store '${source.name}' could not store rows of view '${view.name}': ${(err as Error).message}; retry when it is reachable`,
      );
    }
    this.readers.get(viewName)!.forget(rows.map((r) => r.entity));
    return result;
  }

  /** Ingests a CSV file into a view in batches, reporting progress after each. */
  async ingestCsv(
    viewName: string,
    path: string,
    onProgress: (p: IngestProgress) => void = () => {},
  ): Promise<IngestProgress> {
    const view = this.view(viewName);
    let progress: IngestProgress = { rows: 0, written: 0, skippedOlder: 0, bytesRead: 0, totalBytes: 0 };
    for await (const batch of readCsvBatches(path, CSV_BATCH_ROWS)) {
      const result = batch.records.length
        ? await this.write(view.name, rowsOfBatch(view, batch, path))
        : { written: 0, skippedOlder: 0 };
      progress = {
        rows: progress.rows + batch.records.length,
        written: progress.written + result.written,
        skippedOlder: progress.skippedOlder + result.skippedOlder,
        bytesRead: batch.bytesRead,
        totalBytes: batch.totalBytes,
      };
      onProgress(progress);
    }
    return progress;
  }

  private async seed(view: FeatureViewConfig): Promise<void> {
    if (!view.seedCsv) return;
    const source = this.sources.get(view.store)!;
    try {
      if (await source.hasRows(view)) return;
      const done = await this.ingestCsv(view.name, view.seedCsv);
      this.options.logger.info(
        { view: view.name, rows: done.written, file: view.seedCsv },
        `feature view '${view.name}': seeded ${done.written} rows`,
      );
    } catch (err) {
      this.options.logger.warn(
        { view: view.name, err: (err as Error).message },
        `feature view '${view.name}': could not seed from ${view.seedCsv}`,
      );
    }
  }

  private breakerChanged(store: string, state: 'closed' | 'open' | 'half_open'): void {
    this.options.metrics.breakerState.set({ store }, BREAKER_STATE_VALUE[state]);
    this.options.metrics.breakerTransitions.inc({ store, to: state });
    const log =
      state === 'open'
        ? this.options.logger.warn.bind(this.options.logger)
        : this.options.logger.info.bind(this.options.logger);
    log({ store, state }, `feature store '${store}': circuit breaker ${state}`);
  }
}

function rowsOfBatch(view: FeatureViewConfig, batch: CsvBatch, path: string): WriteRow[] {
  return batch.records.map((r) => toWriteRow(view, r.fields, `${path}:${r.line}`));
}
