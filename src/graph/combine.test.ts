import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '../tensor/index.js';
import { combine } from './combine.js';

const t = (name: string, shape: number[], values: number[]): Tensor => ({
  name,
  datatype: 'FP32',
  shape,
  data: Float32Array.from(values),
});
const a = t('a', [2, 2], [0.9, 0.1, 0.2, 0.8]);
const b = t('b', [2, 2], [0.3, 0.7, 0.4, 0.6]);

test('average weighs each input', () => {
  const out = combine('average', [a, b], [1, 3], 'c', 'p');
  assert.deepEqual(out.shape, [2, 2]);
  const want = [0.45, 0.55, 0.35, 0.65];
  [...(out.data as Float32Array)].forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `element ${i}`));
});

test('weighted vote: the class with the most weight per row, ties to the lowest', () => {
  assert.deepEqual([...(combine('weighted_vote', [a, b], [0.4, 0.6], 'c', 'l').data as BigInt64Array)], [1n, 1n]);
  assert.deepEqual([...(combine('weighted_vote', [a, b], [0.6, 0.4], 'c', 'l').data as BigInt64Array)], [0n, 1n]);
  assert.deepEqual([...(combine('weighted_vote', [a, b], [1, 1], 'c', 'l').data as BigInt64Array)], [0n, 1n]);
});

test('concat joins along the last dimension, row by row', () => {
  const out = combine('concat', [a, t('c', [2, 1], [5, 6])], [], 'c', 'all');
  assert.deepEqual(out.shape, [2, 3]);
  assert.deepEqual(
    [...(out.data as Float32Array)].map((v) => Math.round(v * 10) / 10),
    [0.9, 0.1, 5, 0.2, 0.8, 6],
  );
});
