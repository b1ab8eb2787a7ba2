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
