import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toFloat16Bits } from '../lib/float16.js';
import { redactionPolicy, REDACTED } from './redaction.js';
import { parametersJson, snapshotTensors, storedTensor } from './snapshot.js';

const policy = redactionPolicy(['inputs.secret']);

describe('snapshotTensors', () => {
  it('copies the data, so the original buffer may be transferred afterwards', () => {
    const data = new Float32Array([1, 2, 3]);
    const [s] = snapshotTensors([{ name: 'x', datatype: 'FP32', shape: [3], data }], {
      policy,
      section: 'inputs',
      maxElements: 10,
    });
    data[0] = 99;
    assert.deepEqual(storedTensor(s), { name: 'x', datatype: 'FP32', shape: [3], data: [1, 2, 3] });
  });

  it('keeps max_elements elements and notes the truncation', () => {
    const [s] = snapshotTensors(
      [{ name: 'x', datatype: 'INT32', shape: [2, 3], data: new Int32Array([1, 2, 3, 4, 5, 6]) }],
      { policy, section: 'inputs', maxElements: 4 },
    );
    assert.deepEqual(storedTensor(s), {
      name: 'x',
      datatype: 'INT32',
      shape: [2, 3],
      data: [1, 2, 3, 4],
      truncated: { kept: 4, total: 6 },
    });
  });

  it('keeps only name, datatype and shape of a redacted tensor', () => {
    const [s] = snapshotTensors([{ name: 'secret', datatype: 'BYTES', shape: [1], data: ['123-45-6789'] }], {
      policy,
      section: 'inputs',
      maxElements: 10,
    });
    assert.equal(s.data, undefined);
    assert.deepEqual(storedTensor(s), { name: 'secret', datatype: 'BYTES', shape: [1], redacted: REDACTED });
  });

  it('does not redact an output that shares a redacted input name', () => {
    const [s] = snapshotTensors([{ name: 'secret', datatype: 'BYTES', shape: [1], data: ['ok'] }], {
      policy,
      section: 'outputs',
      maxElements: 10,
    });
    assert.deepEqual(s.data, ['ok']);
  });

  it('stores FP16 as numbers, BOOL as booleans and BYTES as strings', () => {
    const tensors = [
      { name: 'h', datatype: 'FP16' as const, shape: [1], data: new Uint16Array([toFloat16Bits(1.5)]) },
      { name: 'b', datatype: 'BOOL' as const, shape: [2], data: new Uint8Array([1, 0]) },
      { name: 's', datatype: 'BYTES' as const, shape: [1], data: ['hi'] },
    ];
    const stored = snapshotTensors(tensors, { policy, section: 'inputs', maxElements: 10 }).map(storedTensor);
    assert.deepEqual(
      stored.map((t) => t.data),
      [[1.5], [true, false], ['hi']],
    );
  });
});

describe('parametersJson', () => {
  it('writes 64-bit integers as numbers when exact, else as text', () => {
    assert.equal(parametersJson({ a: 5n, b: 2n ** 60n }), `{"a":5,"b":"${2n ** 60n}"}`);
    assert.equal(parametersJson(undefined), null);
  });
});
