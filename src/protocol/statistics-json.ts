/**
 * Model statistics as JSON, in the shape of Triton's statistics extension (`GET /v2/models[/{m}[/versions/{v}]]/stats`):
 * each version's ModelStatistics (model-statistics.ts, shared with gRPC) plus inferd's queue and refusal counts and
 * how lone requests run (`inline_execution`).
 */
import type { VersionStatistics } from '../inference/inference-service.js';
import { modelStatistics } from './model-statistics.js';

export function encodeStatistics(stats: readonly VersionStatistics[]): Record<string, unknown> {
  return {
    model_stats: stats.map((s) => ({
      ...modelStatistics(s),
      queue_depth: s.queueDepth,
      rejected_count: s.rejected,
      timeout_count: s.timedOut,
      ...(s.inline ? { inline_execution: inlineJson(s) } : {}),
      ...(s.cache ? { response_cache: responseCacheJson(s.cache) } : {}),
      ...(s.cost?.length ? { cost: s.cost.map(costJson) } : {}),
    })),
  };
}

/** The version's inline-execution decision and what it did: runtime calls on the main thread, and those sent to a worker because a queue had formed. */
function inlineJson(s: VersionStatistics): Record<string, unknown> {
  const d = s.inline!;
  return {
    decision: d.inline ? 'inline' : 'worker',
    reason: d.reason,
    ...(d.thresholdUs === undefined ? {} : { threshold_us: d.thresholdUs }),
    ...(d.measuredComputeUs === undefined
      ? {}
      : { measured_compute_us: d.measuredComputeUs, measured_rows: d.measuredRows }),
    inline_count: s.inlineExecutions,
    fallback_count: s.inlineFallbacks,
  };
}

/** CPU seconds by stage and cost per request path (docs/cost.md). */
function costJson(c: NonNullable<VersionStatistics['cost']>[number]): Record<string, unknown> {
  return {
    path: c.path,
    requests: c.requests,
    cpu_seconds: c.cpuSeconds,
    cpu_seconds_per_request: c.cpuSecondsPerRequest,
    cost_per_1k: c.costPer1k,
  };
}

/** The response cache's counts (versions whose config declares `cache:`). */
function responseCacheJson(c: NonNullable<VersionStatistics['cache']>): Record<string, unknown> {
  return {
    hits: c.hits,
    shared_hits: c.sharedHits,
    misses: c.misses,
    bypassed: c.bypassed,
    evictions: c.evictions,
    entries: c.entries,
    bytes: c.bytes,
    shared_errors: c.sharedErrors,
    bypassing: c.bypassing,
    lookup_ms: c.lookupMs,
    compute_ms: c.computeMs,
  };
}
