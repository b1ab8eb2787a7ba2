/**
 * Prometheus metrics, declared in one place. Process and Node.js runtime metrics (CPU, memory, event-loop delay
 * percentiles) come from prom-client's defaults; model metrics are read from the schedulers' statistics at
 * scrape time, so the request path does no metric work.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerRowFamily } from './row-family.js';

/** What the metrics need from the core: per-version statistics. */
export interface StatisticsSource {
  statistics(): ReadonlyArray<{
    readonly name: string;
    readonly version: string;
    readonly inferenceCount: number;
    readonly executionCount: number;
    readonly success: { readonly count: number; readonly ns: number };
    readonly fail: { readonly count: number; readonly ns: number };
    readonly queue: { readonly count: number; readonly ns: number };
    readonly computeInfer: { readonly count: number; readonly ns: number };
    readonly rejected: number;
    readonly timedOut: number;
    readonly queueDepth: number;
    readonly isolations?: number;
    readonly isolationRuns?: number;
    readonly inlineExecutions?: number;
    readonly inlineFallbacks?: number;
    readonly inline?: { readonly inline: boolean };
  }>;
}

type Row = ReturnType<StatisticsSource['statistics']>[number];

const labelNames = ['model', 'version'] as const;

/** Builds the registry served at /metrics; feature metrics, when given, are served with it. */
export function createMetrics(source: StatisticsSource, features?: FeatureMetrics): Registry {
  const registry = features ? Registry.merge([new Registry(), features.registry]) : new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  // Counters mirror the schedulers' own totals, read at each scrape (one series per loaded version).
  const family = (type: 'counter' | 'gauge', name: string, help: string, value: (r: Row) => number) =>
    registerRowFamily(registry, {
      name,
      help,
      type,
      labelNames,
      rows: () => source.statistics(),
      labels: (r) => [r.name, r.version],
      value,
    });
  const counter = (name: string, help: string, value: (r: Row) => number) => family('counter', name, help, value);
  counter('inferd_inference_success_total', 'Requests answered successfully.', (r) => r.success.count);
  counter('inferd_inference_failure_total', 'Requests that failed, were refused or timed out.', (r) => r.fail.count);
  counter('inferd_inference_rejected_total', 'Requests refused because the queue was full.', (r) => r.rejected);
  counter(
    'inferd_inference_timeout_total',
    'Requests that passed their queue timeout without running.',
    (r) => r.timedOut,
  );
  counter('inferd_inference_rows_total', 'Rows inferred; a batch of 8 counts 8.', (r) => r.inferenceCount);
  counter('inferd_inference_executions_total', 'Runtime calls; a batch of 8 counts 1.', (r) => r.executionCount);
  counter('inferd_inference_queue_seconds_total', 'Total time requests waited in the queue.', (r) => r.queue.ns / 1e9);
  counter('inferd_inference_compute_seconds_total', 'Total time spent computing.', (r) => r.computeInfer.ns / 1e9);
  counter(
    'inferd_batch_isolations_total',
    'Failed batched runtime calls whose requests were re-run apart (bisected) so that only the failing ones fail.',
    (r) => r.isolations ?? 0,
  );
  counter(
    'inferd_batch_isolation_runs_total',
    'Runtime calls made to isolate failed batches (at most 2n-2 for a batch of n).',
    (r) => r.isolationRuns ?? 0,
  );
  counter(
    'inferd_inline_executions_total',
    'Runtime calls made on the main thread (inline execution of a lone request to a model that computes in tens of µs).',
    (r) => r.inlineExecutions ?? 0,
  );
  counter(
    'inferd_inline_fallbacks_total',
    'Runtime calls of a model that runs inline sent to a worker thread because a queue had formed.',
    (r) => r.inlineFallbacks ?? 0,
  );
  family(
    'gauge',
    'inferd_inline_execution',
    'Whether the version runs lone requests on the main thread (1, decided at warm-up from its compute time) or on its workers (0).',
    (r) => (r.inline?.inline ? 1 : 0),
  );
  family('gauge', 'inferd_queue_depth', 'Requests waiting in the queue now.', (r) => r.queueDepth);
  return registry;
}

/** Breaker states as the `inferd_feature_breaker_state` gauge reports them. */
export const BREAKER_STATE_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Online-feature metrics, recorded as events happen (the feature layer has no statistics of its own to read).
 * Labels: `view` (feature view), `store` (store name), `feature` ('<view>:<feature>'), `reason` (why a fallback).
 */
export interface FeatureMetrics {
  readonly registry: Registry;
  readonly cacheLookups: Counter<'view' | 'result'>;
  readonly storeReads: Counter<'view' | 'store'>;
  readonly fetchSeconds: Histogram<'view'>;
  readonly validationFailures: Counter<'feature'>;
  readonly fallbacks: Counter<'view' | 'reason'>;
  readonly breakerState: Gauge<'store'>;
  readonly breakerTransitions: Counter<'store' | 'to'>;
}

/** Declares the feature metrics on a registry of their own (merged into /metrics by createMetrics). */
export function createFeatureMetrics(): FeatureMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    cacheLookups: new Counter({
      name: 'inferd_feature_cache_lookups_total',
      help: 'Feature cache lookups per entity row; result is hit, miss or stale (served stale after a store failure).',
      labelNames: ['view', 'result'],
      registers,
    }),
    storeReads: new Counter({
      name: 'inferd_feature_store_reads_total',
      help: 'Batched reads sent to a feature store (one round trip each).',
      labelNames: ['view', 'store'],
      registers,
    }),
    fetchSeconds: new Histogram({
      name: 'inferd_feature_fetch_seconds',
      help: 'Time of one batched feature-store read, by view.',
      labelNames: ['view'],
      registers,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
    }),
    validationFailures: new Counter({
      name: 'inferd_feature_validation_failures_total',
      help: 'Feature values that failed validation (type, range, null), imputed or rejected.',
      labelNames: ['feature'],
      registers,
    }),
    fallbacks: new Counter({
      name: 'inferd_feature_fallbacks_total',
      help: 'Entity rows whose view features fell back to defaults, by reason (missing, stale, store_error, budget_exceeded, breaker_open).',
      labelNames: ['view', 'reason'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'inferd_feature_breaker_state',
      help: 'Circuit breaker per feature store: 0 closed, 1 half-open, 2 open.',
      labelNames: ['store'],
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'inferd_feature_breaker_transitions_total',
      help: 'Circuit breaker state changes per feature store.',
      labelNames: ['store', 'to'],
      registers,
    }),
  };
}
