import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatInputs, splitOutputs } from './batch-assembly.js';

test('concatenates along the batch dimension and splits back to each request', () => {
  const a = [{ name: 'x', datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([1, 2]) }];
  const b = [{ name: 'x', datatype: 'FP32' as const, shape: [2, 2], data: new Float32Array([3, 4, 5, 6]) }];
  const [joined] = concatInputs([a, b]);
  assert.deepEqual(joined.shape, [3, 2]);
  assert.deepEqual([...(joined.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
  const parts = splitOutputs([joined], [1, 2]);
  assert.deepEqual(parts[0][0].shape, [1, 2]);
  assert.deepEqual([...(parts[1][0].data as Float32Array)], [3, 4, 5, 6]);
});

test('strings concatenate and split too', () => {
  const [joined] = concatInputs([
    [{ name: 's', datatype: 'BYTES', shape: [1], data: ['a'] }],
    [{ name: 's', datatype: 'BYTES', shape: [2], data: ['b', 'c'] }],
  ]);
  assert.deepEqual(joined.data, ['a', 'b', 'c']);
  assert.deepEqual(
    splitOutputs([joined], [2, 1]).map((p) => p[0].data),
    [['a', 'b'], ['c']],
  );
});

test('an output whose first dimension is not the batch is refused', () => {
  const out = [{ name: 'y', datatype: 'FP32' as const, shape: [4], data: new Float32Array(4) }];
  assert.throws(() => splitOutputs(out, [1, 2]), /first dimension is not the batch size 3/);
});
