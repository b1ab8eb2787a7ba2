/**
 * Model statistics as JSON, in the shape of Triton's statistics extension (`GET /v2/models[/{m}[/versions/{v}]]/stats`):
 * each version's ModelStatistics (model-statistics.ts, shared with gRPC) plus inferd's queue and refusal counts.
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
    })),
  };
}
