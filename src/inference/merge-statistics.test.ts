import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeStatistics } from './merge-statistics.js';
import type { VersionStatistics } from './model-queries.js';

const d = (count: number, ns: number) => ({ count, ns });

function stats(name: string, n: number, last: number): VersionStatistics {
  return {
    name,
    version: '1',
    lastInference: last,
    inferenceCount: n,
    executionCount: n,
    success: d(n, n * 100),
    fail: d(0, 0),
    queue: d(n, n * 10),
    computeInput: d(n, 1),
    computeInfer: d(n, 2),
    computeOutput: d(n, 3),
    rejected: 1,
    timedOut: 0,
    batches: [{ batchSize: 1, count: n, computeNs: 5, inputNs: 1, outputNs: 1 }],
    shed: [{ reason: 'queue_full', priority: 1, count: 2 }],
    isolations: 0,
    isolationRuns: 0,
    queueDepth: 1,
    loadMs: last === 10 ? 30 : 40,
    inFlight: 2,
  } as VersionStatistics;
}

test('counts and durations add up, the last inference and load time are the largest, lists match by key', () => {
  const [m] = mergeStatistics([stats('digits', 3, 10)], [stats('digits', 4, 20)]);
  assert.equal(m.inferenceCount, 7);
  assert.deepEqual(m.success, { count: 7, ns: 700 });
  assert.equal(m.lastInference, 20);
  assert.equal(m.loadMs, 40);
  assert.equal(m.queueDepth, 2);
  assert.equal(m.rejected, 2);
  assert.deepEqual(m.batches, [{ batchSize: 1, count: 7, computeNs: 10, inputNs: 2, outputNs: 2 }]);
  assert.deepEqual(m.shed, [{ reason: 'queue_full', priority: 1, count: 4 }]);
});

test('versions served by one process only are kept as they are', () => {
  const merged = mergeStatistics([stats('digits', 3, 10)], [stats('mlp_heavy', 4, 20)]);
  assert.deepEqual(
    merged.map((s) => [s.name, s.inferenceCount]),
    [
      ['digits', 3],
      ['mlp_heavy', 4],
    ],
  );
});
