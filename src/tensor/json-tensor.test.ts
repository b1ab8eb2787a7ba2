import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tensorDataFromJson, tensorDataToJson } from './json-tensor.js';

test('flat and nested data give the same storage', () => {
  const flat = tensorDataFromJson([1, 2, 3, 4, 5, 6], 'FP32', [2, 3], 6, 'x');
  const nested = tensorDataFromJson(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    'FP32',
    [2, 3],
    6,
    'x',
  );
  assert.deepEqual(nested, flat);
  assert.ok(flat instanceof Float32Array);
});

test('each datatype converts to its storage and back', () => {
  assert.deepEqual(tensorDataToJson(tensorDataFromJson([true, false], 'BOOL', [2], 2, 'x'), 'BOOL'), [true, false]);
  assert.deepEqual(tensorDataToJson(tensorDataFromJson([-128, 127], 'INT8', [2], 2, 'x'), 'INT8'), [-128, 127]);
  assert.deepEqual(tensorDataToJson(tensorDataFromJson([2 ** 40, -3], 'INT64', [2], 2, 'x'), 'INT64'), [2 ** 40, -3]);
  assert.deepEqual(tensorDataToJson(tensorDataFromJson([0.5, 65504], 'FP16', [2], 2, 'x'), 'FP16'), [0.5, 65504]);
  assert.deepEqual(tensorDataToJson(tensorDataFromJson([1.5], 'BF16', [1], 1, 'x'), 'BF16'), [1.5]);
  assert.deepEqual(tensorDataToJson(tensorDataFromJson(['a', 'héllo'], 'BYTES', [2], 2, 'x'), 'BYTES'), ['a', 'héllo']);
  assert.ok(Number.isNaN((tensorDataFromJson([null], 'FP32', [1], 1, 'x') as Float32Array)[0]));
});

test('bad elements are reported with their index and the expected type', () => {
  assert.throws(
    () => tensorDataFromJson([1, 'a'], 'FP32', [2], 2, "input 'x'"),
    /input 'x': element 1 is "a", which is not a number/,
  );
  assert.throws(() => tensorDataFromJson([1.5], 'INT32', [1], 1, 'x'), /element 0 is 1.5, which is not an integer/);
  assert.throws(() => tensorDataFromJson([300], 'UINT8', [1], 1, 'x'), /outside the UINT8 range \[0, 255\]/);
  assert.throws(
    () => tensorDataFromJson([-1], 'UINT64', [1], 1, 'x'),
    /element 0 is -1, outside the UINT64 range \[0, 18446744073709551615\]/,
  );
  assert.throws(() => tensorDataFromJson([1], 'BOOL', [1], 1, 'x'), /which is not true or false/);
  assert.throws(
    () => tensorDataFromJson([1, 2, 3], 'FP32', [2, 2], 4, 'x'),
    /shape \[2, 2\] needs 4 elements but 'data' has 3/,
  );
  assert.throws(() => tensorDataFromJson('1,2', 'FP32', [2], 2, 'x'), /'data' must be an array/);
  assert.throws(() => tensorDataFromJson([[[1]]], 'FP32', [1], 1, 'x'), /nested deeper than the tensor's rank/);
});
