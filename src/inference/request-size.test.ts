import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../config/index.js';
import type { TensorSpec } from '../tensor/index.js';
import { BodyLimits, modelBodyLimit, modelTensorBytes } from './request-size.js';

const MIB = 1024 * 1024;
const policy = { ceilingBytes: 64 * MIB, floorBytes: MIB, jsonOverheadFactor: 8, maxStringBytes: 1000 };

/** Only the fields the derivation reads; the rest of a ModelConfig does not matter here. */
function model(maxBatchSize: number, inputs: TensorSpec[]): ModelConfig {
  return { name: 'm', maxBatchSize, inputs } as Partial<ModelConfig> as ModelConfig;
}

test("a model's body limit is its largest batch of tensor bytes times the JSON factor, between floor and ceiling", () => {
  const digits = (batch: number) => model(batch, [{ name: 'input', datatype: 'FP32', dims: [64] }]);
  assert.equal(modelTensorBytes(digits(4096), 1000), 4096 * 64 * 4);
  assert.equal(modelBodyLimit(digits(8), policy), MIB); // 8 x 256 x 8 + 64 KiB is below the floor
  assert.equal(modelBodyLimit(digits(4096), policy), 4096 * 256 * 8 + 64 * 1024);
  assert.equal(modelBodyLimit(digits(1_000_000), policy), 64 * MIB); // the ceiling
  assert.equal(modelBodyLimit(digits(0), policy), MIB); // does not batch: one row
  assert.equal(modelBodyLimit(model(8, [{ name: 'x', datatype: 'FP32', dims: [-1] }]), policy), 64 * MIB); // unbounded dim
  assert.equal(
    modelTensorBytes(
      model(2, [
        { name: 's', datatype: 'BYTES', dims: [3] },
        { name: 'b', datatype: 'BOOL', dims: [5] },
      ]),
      1000,
    ),
    2 * (3 * 1004 + 5),
  );
});

test('the largest limit among loaded models is the default; none loaded: the floor', () => {
  const limits = new BodyLimits(policy);
  assert.equal(limits.largest([]), MIB);
  const big = model(8192, [{ name: 'input', datatype: 'FP32', dims: [64] }]);
  assert.equal(
    limits.largest([model(8, [{ name: 'input', datatype: 'FP32', dims: [64] }]), big]),
    8192 * 256 * 8 + 64 * 1024,
  );
});
