/**
 * The statistics of one version summed over the processes of a server (`--processes N`): every count and duration
 * added, `lastInference` and `loadMs` the largest, batch sizes and shed counts matched by their keys (batch size;
 * reason and priority). Generic over the fields, so a count added to the statistics later is summed too; what is
 * measured per process rather than counted (the inline decision, the cache's lookup and compute times) is this
 * process's own, and a cost path's per-request figures are worked out again from the summed seconds. Pure.
 */
import type { VersionStatistics } from './model-queries.js';

/** Numbers that are not counts: the latest or largest value stands for the server. */
const LARGEST = new Set(['lastInference', 'loadMs']);
/** Measurements of one process, not counts: this process's stand for the server. */
const OWN = new Set(['inline', 'lookupMs', 'computeMs', 'bypassing']);

type Json = number | string | boolean | undefined | null | readonly Json[] | { readonly [key: string]: Json };

/** The fields that name an entry of a list (the strings and flags, the batch size and priority). */
function identity(item: Json): string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return JSON.stringify(item);
  const o = item as Record<string, Json>;
  return JSON.stringify(
    Object.keys(o)
      .filter((k) => (typeof o[k] !== 'number' && typeof o[k] !== 'object') || k === 'batchSize' || k === 'priority')
      .sort()
      .map((k) => [k, o[k]]),
  );
}

function merge(a: Json, b: Json, key: string): Json {
  if (OWN.has(key) && a !== undefined && a !== null) return a;
  if (typeof a === 'number' && typeof b === 'number') return LARGEST.has(key) ? Math.max(a, b) : a + b;
  if (a === undefined || a === null) return b;
  if (b === undefined || b === null) return a;
  if (Array.isArray(a) && Array.isArray(b)) {
    const out = new Map<string, Json>();
    for (const item of [...(a as Json[]), ...(b as Json[])]) {
      const id = identity(item);
      const seen = out.get(id);
      out.set(id, seen === undefined ? item : merge(seen, item, key));
    }
    return [...out.values()];
  }
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const o: Record<string, Json> = {};
    const x = a as Record<string, Json>;
    const y = b as Record<string, Json>;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      // identity fields (batch size, priority, reason) are equal on both sides: keep them
      o[k] = k === 'batchSize' || k === 'priority' ? (x[k] ?? y[k]) : merge(x[k], y[k], k);
    }
    const seconds = o.cpuSeconds;
    if (typeof o.requests === 'number' && typeof x.costPer1k === 'number' && typeof seconds === 'object' && seconds) {
      // a cost path (cost/cost-tracker.ts): per request from the summed seconds, priced as this process prices it
      const total = Object.values(seconds as Record<string, Json>).reduce<number>(
        (n, v) => n + (typeof v === 'number' ? v : 0),
        0,
      );
      const perRequest = o.requests > 0 ? total / o.requests : 0;
      const own = x.cpuSecondsPerRequest;
      const price = typeof own === 'number' && own > 0 ? x.costPer1k / own : 0;
      o.cpuSecondsPerRequest = perRequest;
      o.costPer1k = perRequest * price;
    }
    return o;
  }
  return a; // strings and flags (name, version): the same on both sides
}

/** `own` with `others` added, version by version; versions only others serve are added as they are. */
export function mergeStatistics(
  own: readonly VersionStatistics[],
  others: readonly VersionStatistics[],
): VersionStatistics[] {
  const out = new Map<string, VersionStatistics>();
  for (const s of [...own, ...others]) {
    const key = `${s.name}\u0000${s.version}`;
    const seen = out.get(key);
    out.set(key, seen ? (merge(seen as unknown as Json, s as unknown as Json, '') as unknown as VersionStatistics) : s);
  }
  return [...out.values()];
}
