import assert from 'node:assert/strict';
import test from 'node:test';
import { argMax, predictedRows, rowsAndWidth, scoresOutput } from './predicted-rows.js';

test('an INT64 label wins over scores; else the arg-max of score rows; else a regression value', () => {
  const logits = { name: 'logits', datatype: 'FP32', shape: [1, 3], data: new Float32Array([0, 5, 1]) };
  const label = { name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([7n]) };
  assert.deepEqual(predictedRows([logits, label]), { kind: 'class', values: [7] });
  const probabilities = {
    name: 'probabilities',
    datatype: 'FP32',
    shape: [2, 2],
    data: new Float32Array([0.1, 0.9, 0.8, 0.2]),
  };
  assert.deepEqual(predictedRows([probabilities]), { kind: 'class', values: [1, 0] });
  const value = { name: 'prediction', datatype: 'FP32', shape: [2, 1], data: new Float32Array([0.5, 1.5]) };
  assert.deepEqual(predictedRows([value]), { kind: 'value', values: [0.5, 1.5] });
});

test('reads logged (JSON) outputs the same way as live ones', () => {
  const live = predictedRows([
    { name: 'probabilities', datatype: 'FP32', shape: [2, 3], data: new Float32Array([0, 1, 0, 3, 2, 1]) },
  ]);
  const logged = predictedRows([{ name: 'probabilities', datatype: 'FP32', shape: [2, 3], data: [0, 1, 0, 3, 2, 1] }]);
  assert.deepEqual(logged, live);
  assert.deepEqual(logged, { kind: 'class', values: [1, 0] });
});

test('an integer output with one value per row is a class; a float one a value', () => {
  assert.deepEqual(predictedRows([{ name: 'y', datatype: 'INT32', shape: [3], data: new Int32Array([2, 0, 1]) }]), {
    kind: 'class',
    values: [2, 0, 1],
  });
  assert.deepEqual(predictedRows([{ name: 'y', datatype: 'FP64', shape: [3], data: new Float64Array([2, 0, 1]) }]), {
    kind: 'value',
    values: [2, 0, 1],
  });
});

test('a named output is read first; `probabilities` before other score outputs', () => {
  const a = { name: 'a', datatype: 'FP32', shape: [1, 2], data: [0.9, 0.1] };
  const probabilities = { name: 'probabilities', datatype: 'FP32', shape: [1, 2], data: [0.2, 0.8] };
  assert.deepEqual(predictedRows([a, probabilities]), { kind: 'class', values: [1] });
  assert.deepEqual(predictedRows([a, probabilities], 'a'), { kind: 'class', values: [0] });
  assert.equal(scoresOutput([a, probabilities]), probabilities);
  assert.equal(scoresOutput([a, probabilities], 'a'), a);
});

test('BYTES, redacted outputs and per-row explanations are never the prediction', () => {
  const names = { name: 'names', datatype: 'BYTES', shape: [1], data: ['cat'] };
  const shap = { name: 'treeshap_output', datatype: 'FP32', shape: [1, 3], data: [5, 0, 0] };
  const redactedLabel = { name: 'label', datatype: 'INT64', shape: [1] };
  const scores = { name: 'scores', datatype: 'FP32', shape: [1, 3], data: [0, 0, 1] };
  assert.deepEqual(predictedRows([names, shap, redactedLabel, scores]), { kind: 'class', values: [2] });
  assert.equal(predictedRows([names, shap, redactedLabel]), undefined);
  assert.equal(scoresOutput([shap, scores]), scores);
});

test('argMax takes the first of equal values and a slice of a row-major array; rows come from the first dimension', () => {
  assert.equal(argMax([1, 3, 3]), 1);
  assert.equal(argMax([9, 9, 0, 1, 2, 2], 3, 3), 1);
  assert.ok(Number.isNaN(argMax([], 0, 0)));
  assert.deepEqual(rowsAndWidth([4, 3], 12), { rows: 4, width: 3 });
  assert.deepEqual(rowsAndWidth([], 1), { rows: 1, width: 1 });
  assert.deepEqual(rowsAndWidth([0, 3], 0), { rows: 0, width: 0 });
});
