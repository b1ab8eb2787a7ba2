import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confidenceRule, topTwo } from './confidence.js';
import { tuneThreshold } from './tune-threshold.js';

test('the lowest threshold within the accuracy loss wins: the fewest rows to the expensive model', () => {
  const rows = [
    { confidence: 0.99, cheapCorrect: true, expensiveCorrect: true },
    { confidence: 0.95, cheapCorrect: true, expensiveCorrect: true },
    { confidence: 0.8, cheapCorrect: false, expensiveCorrect: true },
    { confidence: 0.6, cheapCorrect: true, expensiveCorrect: true },
  ];
  const strict = tuneThreshold(rows, 0);
  assert.equal(strict.threshold, 0.95);
  assert.equal(strict.expensiveShare, 0.5);
  assert.equal(strict.cascadeAccuracy, 100);
  const loose = tuneThreshold(rows, 25);
  assert.equal(loose.threshold, 0.6);
  assert.equal(loose.expensiveShare, 0);
  assert.equal(loose.cascadeAccuracy, 75);
  // Below a threshold that loses too much, a lower one that happens to pass again is not taken.
  const dip = [
    { confidence: 0.9, cheapCorrect: false, expensiveCorrect: true },
    { confidence: 0.5, cheapCorrect: true, expensiveCorrect: false },
  ];
  assert.equal(tuneThreshold(dip, 0).threshold, Infinity);
  assert.equal(tuneThreshold(dip, 0).expensiveShare, 1);
});

test('max probability, margin, interval width and expression rules score each row', () => {
  const probabilities = {
    name: 'p',
    datatype: 'FP32' as const,
    shape: [2, 3],
    data: Float32Array.of(0.7, 0.2, 0.1, 0.4, 0.35, 0.25),
  };
  assert.deepEqual(
    topTwo(probabilities.data, 2).map(([a]) => Math.round(a * 100)),
    [70, 40],
  );
  const max = confidenceRule({ kind: 'max_probability', output: 'p', threshold: 0.5 });
  assert.deepEqual(
    Array.from(max.confidence([probabilities], 2), (c) => Math.round(c * 100)),
    [70, 40],
  );
  const margin = confidenceRule({ kind: 'margin', output: 'p', threshold: 0.3 });
  assert.deepEqual(
    Array.from(margin.confidence([probabilities], 2), (c) => Math.round(c * 100)),
    [50, 5],
  );
  const lower = { name: 'lo', datatype: 'FP32' as const, shape: [2], data: Float32Array.of(1, 1) };
  const upper = { name: 'hi', datatype: 'FP32' as const, shape: [2], data: Float32Array.of(2, 5) };
  const interval = confidenceRule({ kind: 'interval_width', lower: 'lo', upper: 'hi', maxWidth: 2 });
  assert.deepEqual(Array.from(interval.confidence([lower, upper], 2)), [1, 0]);
  const expression = confidenceRule({ kind: 'expression', expression: 'hi[0] - lo[0] < 3' });
  assert.deepEqual(Array.from(expression.confidence([lower, upper], 2)), [1, 0]);
});
