/**
 * One model version's statistics in the shape of Triton's ModelStatistics: the one description both doors use
 * (HTTP `GET /v2/models[/{m}[/versions/{v}]]/stats` as JSON, gRPC `ModelStatistics` as the protobuf message).
 * Durations are whole nanoseconds, as the protobuf's uint64 carries them.
 */
import type { VersionStatistics } from '../inference/inference-service.js';

/** Triton's StatisticDuration. */
export interface StatisticDuration {
  readonly count: number;
  readonly ns: number;
}

export interface ModelStatistics {
  readonly name: string;
  readonly version: string;
  readonly last_inference: number;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: Readonly<
    Record<
      'success' | 'fail' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output' | 'cache_hit' | 'cache_miss',
      StatisticDuration
    >
  >;
  readonly batch_stats: ReadonlyArray<{
    readonly batch_size: number;
    readonly compute_input: StatisticDuration;
    readonly compute_infer: StatisticDuration;
    readonly compute_output: StatisticDuration;
  }>;
}

const NONE: StatisticDuration = Object.freeze({ count: 0, ns: 0 });

function duration(count: number, ns: number): StatisticDuration {
  return { count, ns: Math.round(ns) };
}

/** A version's statistics as Triton's ModelStatistics (inferd has no response cache: its counts are zero). */
export function modelStatistics(s: VersionStatistics): ModelStatistics {
  return {
    name: s.name,
    version: s.version,
    last_inference: s.lastInference,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: duration(s.success.count, s.success.ns),
      fail: duration(s.fail.count, s.fail.ns),
      queue: duration(s.queue.count, s.queue.ns),
      compute_input: duration(s.computeInput.count, s.computeInput.ns),
      compute_infer: duration(s.computeInfer.count, s.computeInfer.ns),
      compute_output: duration(s.computeOutput.count, s.computeOutput.ns),
      cache_hit: NONE,
      cache_miss: NONE,
    },
    batch_stats: s.batches.map((b) => ({
      batch_size: b.batchSize,
      compute_input: duration(b.count, b.inputNs),
      compute_infer: duration(b.count, b.computeNs),
      compute_output: duration(b.count, b.outputNs),
    })),
  };
}
