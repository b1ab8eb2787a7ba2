import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ACCURACY,
  digestEvidence,
  evidenceOf,
  mergeEvidence,
  sketchCount,
  sketchOf,
  sketchValues,
} from './evidence-digest.js';
import { evaluateChecks } from './verdict.js';
import { quantile, type WindowSummary } from './version-window.js';

const window = (latencies: number[], errors: number, classes: Array<[number, number]>): WindowSummary => ({
  requests: latencies.length + errors,
  errors,
  latenciesMs: [...latencies].sort((a, b) => a - b),
  classes: new Map(classes),
  values: [],
  predictionKind: 'class',
});

test('a sketch gives every value back within its relative accuracy, in order, zeros and non-finite ones apart', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 200 }), (values) => {
      const back = sketchValues(sketchOf(values));
      const sorted = [...values].sort((a, b) => a - b);
      assert.equal(back.length, values.length);
      back.forEach((v, i) => {
        const x = sorted[i];
        assert.ok(Math.abs(v - x) <= ACCURACY * Math.abs(x) + 1e-9, `${v} for ${x}`);
      });
    }),
  );
  const s = sketchOf([0, NaN, Infinity, 3]);
  assert.equal(sketchCount(s), 4);
  const back = sketchValues(s);
  assert.equal(back[0], 0);
  assert.ok(Math.abs(back[1] - 3) <= 3 * ACCURACY);
  assert.ok(Number.isNaN(back[2]) && Number.isNaN(back[3]));
});

test('summing digests in any grouping gives the same evidence as one window over all the samples', () => {
  const parts = [
    {
      stable: window([10, 12, 11], 0, [[1, 3]]),
      candidate: window([30, 31], 2, [
        [1, 1],
        [2, 1],
      ]),
    },
    { stable: window([9, 13], 1, [[1, 2]]), candidate: window([29], 0, [[2, 1]]) },
    { stable: window([], 0, []), candidate: window([40, 41, 42], 1, [[1, 3]]) },
  ];
  const [a, b, c] = parts.map(digestEvidence);
  const left = evidenceOf(mergeEvidence(mergeEvidence(a, b), c));
  const right = evidenceOf(mergeEvidence(a, mergeEvidence(b, c)));
  assert.deepEqual(left, right);
  assert.equal(left.candidate.requests, 9);
  assert.equal(left.candidate.errors, 3);
  assert.deepEqual([...left.candidate.classes].sort(), [
    [1, 4],
    [2, 2],
  ]);
  const p99 = quantile(left.candidate.latenciesMs, 0.99)!;
  assert.ok(Math.abs(p99 - 42) <= 42 * ACCURACY, `p99 ${p99}`);
  const checks = { errorRate: { maxIncrease: 0.05, minSamples: 5 } };
  assert.equal(evaluateChecks(checks, left)[0].status, 'fail');
});

test('a digest survives JSON (as the shared store keeps it)', () => {
  const d = digestEvidence({
    stable: window([1.5, 2.5], 0, [[0, 2]]),
    candidate: window([3.5], 1, [[1, 1]]),
    paired: { kind: 'value', absDiffs: [0, 0.25, NaN], errors: 1 },
    shadow: { kind: 'class', compared: 2, rows: 2, agreeing: 1, absDiffSum: 1, errors: 0 },
  });
  assert.deepEqual(evidenceOf(JSON.parse(JSON.stringify(d))), evidenceOf(d));
});
