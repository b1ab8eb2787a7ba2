import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromBFloat16Bits, fromFloat16Bits, toBFloat16Bits, toFloat16Bits } from './float16.js';

test('FP16 round-trips exactly representable values', () => {
  for (const v of [0, 1, -1, 0.5, 1.5, 65504, -65504, 2 ** -14, 2 ** -24, 0.0999755859375]) {
    assert.equal(fromFloat16Bits(toFloat16Bits(v)), v);
  }
  assert.equal(toFloat16Bits(1), 0x3c00);
  assert.equal(toFloat16Bits(-2), 0xc000);
});

test('FP16 rounds to nearest, overflows to infinity, keeps NaN', () => {
  assert.equal(fromFloat16Bits(toFloat16Bits(0.1)), 0.0999755859375);
  assert.equal(fromFloat16Bits(toFloat16Bits(1e6)), Infinity);
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
  assert.equal(fromFloat16Bits(toFloat16Bits(1 + 2 ** -11)), 1); // tie rounds to even
});

test('BF16 keeps the float32 exponent and 8 bits of mantissa', () => {
  assert.equal(toBFloat16Bits(1), 0x3f80);
  assert.equal(fromBFloat16Bits(toBFloat16Bits(3.140625)), 3.140625);
  assert.ok(Math.abs(fromBFloat16Bits(toBFloat16Bits(1e30)) - 1e30) / 1e30 < 2 ** -8);
  assert.ok(Number.isNaN(fromBFloat16Bits(toBFloat16Bits(NaN))));
});
