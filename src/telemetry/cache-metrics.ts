/**
 * Response cache metrics, read from the versions' statistics at scrape time (the request path only counts):
 *
 * - `inferd_response_cache_requests_total{model,version,result}`: hit (memory or shared tier), shared_hit (the
 *   shared tier's part of hit), miss, bypass (skipped: computing is cheaper than a lookup).
 * - `inferd_response_cache_bytes{model,version}`, `inferd_response_cache_entries{model,version}`,
 *   `inferd_response_cache_evictions_total{model,version}`, `inferd_response_cache_shared_errors_total{model,version}`.
 * - `inferd_response_cache_bypassing{model,version}`: 1 while requests skip the cache.
 */
import type { Registry } from 'prom-client';
import { registerRowFamily } from './row-family.js';

export interface CacheFigures {
  readonly hits: number;
  readonly sharedHits: number;
  readonly misses: number;
  readonly bypassed: number;
  readonly evictions: number;
  readonly entries: number;
  readonly bytes: number;
  readonly sharedErrors: number;
  readonly bypassing: boolean;
}

export interface CacheMetricsSource {
  statistics(): ReadonlyArray<{
    readonly name: string;
    readonly version: string;
    readonly cache?: CacheFigures | undefined;
  }>;
}

const RESULTS = [
  ['hit', (c: CacheFigures) => c.hits],
  ['shared_hit', (c: CacheFigures) => c.sharedHits],
  ['miss', (c: CacheFigures) => c.misses],
  ['bypass', (c: CacheFigures) => c.bypassed],
] as const;

export function registerCacheMetrics(registry: Registry, source: CacheMetricsSource): void {
  const cached = () =>
    source.statistics().flatMap((r) => (r.cache ? [{ model: r.name, version: r.version, cache: r.cache }] : []));
  registerRowFamily(registry, {
    name: 'inferd_response_cache_requests_total',
    help: 'Requests to a model version with a response cache, by result: hit, shared_hit (part of hit), miss, bypass.',
    type: 'counter',
    labelNames: ['model', 'version', 'result'],
    rows: () => cached().flatMap((r) => RESULTS.map(([result, value]) => ({ ...r, result, value: value(r.cache) }))),
    labels: (r) => [r.model, r.version, r.result],
    value: (r) => r.value,
  });
  const family = (name: string, help: string, type: 'counter' | 'gauge', value: (c: CacheFigures) => number) =>
    registerRowFamily(registry, {
      name,
      help,
      type,
      labelNames: ['model', 'version'],
      rows: cached,
      labels: (r) => [r.model, r.version],
      value: (r) => value(r.cache),
    });
  family('inferd_response_cache_bytes', 'Bytes of answers kept in memory.', 'gauge', (c) => c.bytes);
  family('inferd_response_cache_entries', 'Answers kept in memory.', 'gauge', (c) => c.entries);
  family(
    'inferd_response_cache_evictions_total',
    'Answers dropped to stay within max_bytes.',
    'counter',
    (c) => c.evictions,
  );
  family(
    'inferd_response_cache_shared_errors_total',
    'Shared-tier (Redis) reads and writes that failed or timed out.',
    'counter',
    (c) => c.sharedErrors,
  );
  family(
    'inferd_response_cache_bypassing',
    '1 while requests skip the cache: computing is cheaper than a lookup.',
    'gauge',
    (c) => (c.bypassing ? 1 : 0),
  );
}
