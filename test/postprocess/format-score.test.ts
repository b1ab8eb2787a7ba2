/** Scores are written as Triton writes them: std::to_string, i.e. printf("%f"). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFixed6, formatScore } from '../../src/inference/format-score.js';

test('six decimals, correctly rounded', () => {
  assert.equal(formatFixed6(0), '0.000000');
  assert.equal(formatFixed6(1.5), '1.500000');
  assert.equal(formatFixed6(1 / 3), '0.333333');
  assert.equal(formatFixed6(2 / 3), '0.666667');
  assert.equal(formatFixed6(-8.142983436584473), '-8.142983');
  assert.equal(formatFixed6(Math.fround(0.1)), '0.100000');
  assert.equal(formatFixed6(5e-7), '0.000000', '5e-7 is slightly below the tie as a double');
  assert.equal(formatFixed6(1e21), '1000000000000000000000.000000');
});

test('exact ties round to even, as glibc printf does', () => {
  assert.equal(formatFixed6(0.0078125), '0.007812');
  assert.equal(formatFixed6(0.0234375), '0.023438');
  assert.equal(formatFixed6(-0.0078125), '-0.007812');
});

test('signs and non-finite values as printf writes them', () => {
  assert.equal(formatFixed6(-0), '-0.000000');
  assert.equal(formatFixed6(-1e-9), '-0.000000');
  assert.equal(formatFixed6(NaN), 'nan');
  assert.equal(formatFixed6(Infinity), 'inf');
  assert.equal(formatFixed6(-Infinity), '-inf');
});

test('agrees with toFixed(6) away from ties', () => {
  for (let i = 0; i < 2000; i++) {
    const x = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 12 - 4);
    assert.equal(formatFixed6(x), x.toFixed(6).replace(/^-(0\.0+)$/, '-$1'), `x = ${x}`);
  }
});

test('integers are written as plain digits', () => {
  assert.equal(formatScore(42, false), '42');
  assert.equal(formatScore(-(2n ** 63n), false), '-9223372036854775808');
  assert.equal(formatScore(0.25, true), '0.250000');
});
