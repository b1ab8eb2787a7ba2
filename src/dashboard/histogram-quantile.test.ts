import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogramQuantile } from './histogram-quantile.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];

const close = (actual: number | null, expected: number) =>
  assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${actual} is not ${expected}`);

test('interpolates inside the bucket the rank falls in, as histogram_quantile does', () => {
  // 10 observations: 4 ≤ 1 ms, 4 more ≤ 10 ms, 2 more ≤ 100 ms.
  const cumulative = [4, 8, 10, 10, 10];
  close(histogramQuantile(0.2, BOUNDS, cumulative), 0.0005);
  close(histogramQuantile(0.5, BOUNDS, cumulative), 0.00325);
  close(histogramQuantile(0.9, BOUNDS, cumulative), 0.055);
});

test('answers null without observations, and the highest bound for a rank in +Inf', () => {
  assert.equal(histogramQuantile(0.99, BOUNDS, [0, 0, 0, 0, 0]), null);
  assert.equal(histogramQuantile(0.99, BOUNDS, [0, 0, 0, 0, 3]), 1);
});
