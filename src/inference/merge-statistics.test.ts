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
    inlineExecutions: n,
    inlineFallbacks: 1,
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

test('a cost path is priced again from the summed seconds; what one process measured stays its own', () => {
  const cost = (requests: number, compute: number) => [
    {
      model: 'digits',
      version: '1',
      path: 'http',
      requests,
      cpuSeconds: { decode: 0, features: 0, queue: 0, compute, encode: 0, other: 0 },
      cpuSecondsPerRequest: compute / requests,
      costPer1k: ((compute / requests) * 1000 * 3.6) / 3600,
    },
  ];
  const a = { ...stats('digits', 3, 10), cost: cost(10, 0.01) } as VersionStatistics;
  const b = { ...stats('digits', 4, 20), cost: cost(30, 0.05) } as VersionStatistics;
  const [m] = mergeStatistics([a], [b]);
  const [p] = m.cost!;
  assert.equal(p.requests, 40);
  assert.ok(Math.abs(p.cpuSecondsPerRequest - 0.06 / 40) < 1e-12);
  assert.ok(Math.abs(p.costPer1k - ((0.06 / 40) * 1000 * 3.6) / 3600) < 1e-12);
});
