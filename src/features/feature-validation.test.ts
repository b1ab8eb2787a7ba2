import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FeatureSpec } from '../config/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import { checkFeatureValue, resolveFeatureValue } from './feature-validation.js';

const spec = (s: Partial<FeatureSpec>): FeatureSpec => ({
  name: 'f',
  type: 'FP32',
  default: -1,
  onNull: 'impute',
  onInvalid: 'reject',
  ...s,
});

test('accepts numbers, numeric text and booleans of the right type and range', () => {
  assert.deepEqual(checkFeatureValue(spec({}), '2.5'), { kind: 'ok', value: 2.5 });
  assert.deepEqual(checkFeatureValue(spec({ type: 'BOOL' }), true), { kind: 'ok', value: 1 });
  assert.deepEqual(checkFeatureValue(spec({ type: 'INT64' }), 10n), { kind: 'ok', value: 10 });
  assert.deepEqual(checkFeatureValue(spec({ min: 0, max: 1 }), 1), { kind: 'ok', value: 1 });
});

test('null, NaN and empty text are null', () => {
  for (const v of [null, undefined, NaN, '', 'NaN']) assert.deepEqual(checkFeatureValue(spec({}), v), { kind: 'null' });
});

test('wrong types and out-of-range values are invalid, with the reason', () => {
  assert.match((checkFeatureValue(spec({ type: 'INT32' }), 1.5) as { why: string }).why, /not a 32-bit integer/);
  assert.match((checkFeatureValue(spec({ type: 'BOOL' }), 2) as { why: string }).why, /not a boolean/);
  assert.match((checkFeatureValue(spec({ min: 0 }), -3) as { why: string }).why, /below min 0/);
  assert.match((checkFeatureValue(spec({}), 'abc') as { why: string }).why, /not a number/);
  assert.match((checkFeatureValue(spec({}), Infinity) as { why: string }).why, /not a finite number/);
});

test('policies: impute uses the default, reject answers 400 naming the feature', () => {
  assert.deepEqual(
    resolveFeatureValue(spec({}), { kind: 'null' }, () => 'x'),
    { value: -1, imputed: true },
  );
  assert.deepEqual(
    resolveFeatureValue(spec({ onInvalid: 'impute' }), { kind: 'invalid', why: 'w' }, () => 'x'),
    { value: -1, imputed: true },
  );
  assert.throws(
    () => resolveFeatureValue(spec({ onNull: 'reject' }), { kind: 'null' }, () => "feature 'v:f' of row 0"),
    (e: Error) => e instanceof InvalidArgumentError && /feature 'v:f' of row 0 is missing/.test(e.message),
  );
  assert.throws(
    () => resolveFeatureValue(spec({ min: 0 }), { kind: 'invalid', why: '-3 is below min 0' }, () => "feature 'v:f'"),
    /invalid: -3 is below min 0; send a valid FP32 value in \[0, ∞\]/,
  );
});
