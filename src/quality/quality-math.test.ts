import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binaryCounts,
  logLoss,
  macroRocAuc,
  percentile,
  precisionRecallF1,
  regressionErrors,
  rocAuc,
  toProbabilities,
} from './quality-math.js';
import { predictionOutcome } from './feedback-outcome.js';

test('ROC AUC counts ties as half and is null with one class', () => {
  assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  assert.equal(rocAuc([0.5, 0.5], [true, false]), 0.5);
  assert.equal(rocAuc([0.2, 0.9], [true, true]), null);
  assert.equal(
    macroRocAuc(
      [
        [0.9, 0.1],
        [0.2, 0.8],
      ],
      [0, 1],
    ),
    1,
  );
});

test('precision, recall and F1 of the positive class; null where undefined', () => {
  const c = binaryCounts([1, 1, 0, 0, 1], [1, 0, 1, 0, 1], 1);
  assert.deepEqual(c, { tp: 2, fp: 1, tn: 1, fn: 1 });
  assert.deepEqual(precisionRecallF1(c), { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3 });
  assert.deepEqual(precisionRecallF1({ tp: 0, fp: 0, tn: 3, fn: 1 }), { precision: null, recall: 0, f1: null });
});

test('log loss clips certain misses; MAE/RMSE; interpolated percentiles', () => {
  assert.ok(Math.abs(logLoss([0])! - -Math.log(1e-15)) < 1e-9);
  assert.deepEqual(regressionErrors([1, 2, 3], [2, 2, 1]), { mae: 1, rmse: Math.sqrt(5 / 3) });
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(percentile([], 0.5), null);
});

test('scores that are not probabilities are read as logits', () => {
  assert.deepEqual(toProbabilities([0.25, 0.75]), [0.25, 0.75]);
  const p = toProbabilities([0, Math.log(3)]);
  assert.ok(Math.abs(p[1] - 0.75) < 1e-12);
  assert.ok(Math.abs(toProbabilities([-Math.log(3)])[0] - 0.25) < 1e-12, 'one column outside [0, 1]: sigmoid');
  assert.deepEqual(toProbabilities([0.3]), [0.3]);
});

test('a prediction is read at its threshold, from the logged label first', () => {
  const probs = { name: 'probabilities', datatype: 'FP32', shape: [2, 2], data: [0.45, 0.55, 0.2, 0.8] };
  const threshold = { output: 'probabilities', value: 0.6, positiveClass: 1 as const, labelOutput: 'label' };
  const row0 = predictionOutcome([probs], 'label', 0, threshold);
  assert.deepEqual(row0, { ok: true, outcome: { predicted: 0, scores: [0.45, 0.55], positiveClass: 1 } });
  const logged = predictionOutcome(
    [probs, { name: 'label', datatype: 'INT64', shape: [2], data: [1, 1] }],
    'label',
    0,
    threshold,
  );
  assert.equal(logged.ok && logged.outcome.predicted, 1);
  assert.deepEqual(predictionOutcome([probs], 'label', 2), {
    ok: false,
    reason: 'row 2 is beyond the 2 row(s) of the prediction',
  });
  const redacted = predictionOutcome(
    [{ name: 'y', datatype: 'FP32', shape: [1, 1], redacted: '[REDACTED]' }],
    'value',
    0,
  );
  assert.equal(redacted.ok, false);
});
