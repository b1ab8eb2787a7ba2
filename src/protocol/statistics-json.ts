/** Model statistics in the shape of Triton's statistics extension (`GET /v2/models[/{m}[/versions/{v}]]/stats`). */
import type { VersionStatistics } from '../inference/inference-service.js';

const zero = { count: 0, ns: 0 };

export function encodeStatistics(stats: readonly VersionStatistics[]): Record<string, unknown> {
  return {
    model_stats: stats.map((s) => ({
      name: s.name,
      version: s.version,
      last_inference: s.lastInference,
      inference_count: s.inferenceCount,
      execution_count: s.executionCount,
      inference_stats: {
        success: s.success,
        fail: s.fail,
        queue: s.queue,
        compute_input: s.computeInput,
        compute_infer: s.computeInfer,
        compute_output: s.computeOutput,
        cache_hit: zero,
        cache_miss: zero,
      },
      batch_stats: s.batches.map((b) => ({
        batch_size: b.batchSize,
        compute_input: { count: b.count, ns: b.inputNs },
        compute_infer: { count: b.count, ns: b.computeNs },
        compute_output: { count: b.count, ns: b.outputNs },
      })),
      queue_depth: s.queueDepth,
      rejected_count: s.rejected,
      timeout_count: s.timedOut,
    })),
  };
}
