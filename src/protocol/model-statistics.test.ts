import assert from 'node:assert/strict';
import test from 'node:test';
import type { VersionStatistics } from '../inference/inference-service.js';
import { modelStatistics } from './model-statistics.js';
import { encodeStatistics } from './statistics-json.js';

const d = (count: number, ns: number) => ({ count, ns });
const stats = {
  name: 'digits',
  version: '2',
  lastInference: 1700000000000,
  inferenceCount: 6,
  executionCount: 3,
  success: d(3, 1500.4),
  fail: d(1, 10.6),
  queue: d(3, 99.5),
  computeInput: d(3, 7),
  computeInfer: d(3, 8),
  computeOutput: d(3, 9),
  batches: [{ batchSize: 2, count: 3, inputNs: 1.2, computeNs: 2.7, outputNs: 3 }],
  queueDepth: 4,
  rejected: 5,
  timedOut: 6,
} as unknown as VersionStatistics; // only the fields the encoders read

test('ModelStatistics: Triton field names, whole nanoseconds, zero cache counts', () => {
  const m = modelStatistics(stats);
  assert.deepEqual(
    [m.name, m.version, m.last_inference, m.inference_count, m.execution_count],
    ['digits', '2', 1700000000000, 6, 3],
  );
  assert.deepEqual(m.inference_stats.success, { count: 3, ns: 1500 });
  assert.deepEqual(m.inference_stats.fail, { count: 1, ns: 11 });
  assert.deepEqual(m.inference_stats.cache_hit, { count: 0, ns: 0 });
  assert.deepEqual(m.batch_stats, [
    {
      batch_size: 2,
      compute_input: { count: 3, ns: 1 },
      compute_infer: { count: 3, ns: 3 },
      compute_output: { count: 3, ns: 3 },
    },
  ]);
});

test('the JSON statistics add the queue and refusal counts to the shared message', () => {
  const [json] = (encodeStatistics([stats]) as { model_stats: Array<Record<string, unknown>> }).model_stats;
  assert.deepEqual(
    { ...json, queue_depth: undefined, rejected_count: undefined, timeout_count: undefined },
    { ...modelStatistics(stats), queue_depth: undefined, rejected_count: undefined, timeout_count: undefined },
  );
  assert.deepEqual([json.queue_depth, json.rejected_count, json.timeout_count], [4, 5, 6]);
});
