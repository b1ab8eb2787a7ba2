import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tensorDataFromRaw, tensorDataToRaw } from './raw-tensor.js';

const from = { what: "input 'x'", source: 'binary data' };

test('BYTES elements carry 4-byte little-endian length prefixes', () => {
  const raw = tensorDataToRaw(['a', 'héllo', '']);
  assert.deepEqual([...raw.subarray(0, 5)], [1, 0, 0, 0, 0x61]);
  assert.deepEqual(tensorDataFromRaw(raw, 'BYTES', [3], 3, from), ['a', 'héllo', '']);
  assert.throws(
    () => tensorDataFromRaw(raw, 'BYTES', [4], 4, from),
    /binary data holds 3 BYTES elements, but shape \[4\] needs 4/,
  );
  assert.throws(
    () => tensorDataFromRaw(raw.subarray(0, 11), 'BYTES', [3], 3, from),
    /raw BYTES element 1 declares 6 bytes, but only 2 remain/,
  );
});

test('numeric raw data is copied into aligned storage of the right type', () => {
  const source = new Float64Array([1.5, -2]);
  const bytes = new Uint8Array(source.byteLength + 1);
  bytes.set(new Uint8Array(source.buffer), 1);
  const out = tensorDataFromRaw(bytes.subarray(1), 'FP64', [2], 2, from);
  assert.ok(out instanceof Float64Array);
  assert.deepEqual([...(out as Float64Array)], [1.5, -2]);
  assert.throws(
    () => tensorDataFromRaw(new Uint8Array([0, 7]), 'BOOL', [2], 2, from),
    /BOOL element 1 is the byte 7; BOOL elements are 0 or 1/,
  );
  assert.throws(
    () => tensorDataFromRaw(new Uint8Array(3), 'INT32', [1], 1, from),
    /input 'x': binary data holds 3 bytes, but INT32 shape \[1\] needs 4/,
  );
});
