import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tensorDataFromRaw, tensorDataToRaw } from './raw-tensor.js';

test('BYTES elements carry 4-byte little-endian length prefixes', () => {
  const raw = tensorDataToRaw(['a', 'héllo', ''], 'BYTES');
  assert.deepEqual([...raw.subarray(0, 5)], [1, 0, 0, 0, 0x61]);
  assert.deepEqual(tensorDataFromRaw(raw, 'BYTES', 3, 'x'), ['a', 'héllo', '']);
  assert.throws(() => tensorDataFromRaw(raw, 'BYTES', 4, 'x'), /ends before element 3's length prefix/);
  assert.throws(() => tensorDataFromRaw(raw, 'BYTES', 2, 'x'), /bytes of binary data are left after 2 BYTES elements/);
});

test('numeric raw data is copied into aligned storage of the right type', () => {
  const source = new Float64Array([1.5, -2]);
  const bytes = new Uint8Array(source.byteLength + 1);
  bytes.set(new Uint8Array(source.buffer), 1);
  const out = tensorDataFromRaw(bytes.subarray(1), 'FP64', 2, 'x');
  assert.ok(out instanceof Float64Array);
  assert.deepEqual([...(out as Float64Array)], [1.5, -2]);
  assert.deepEqual([...(tensorDataFromRaw(new Uint8Array([0, 7]), 'BOOL', 2, 'x') as Uint8Array)], [0, 1]);
  assert.throws(() => tensorDataFromRaw(new Uint8Array(3), 'INT32', 1, 'x'), /1 INT32 elements need 4 bytes of binary data, got 3/);
});
