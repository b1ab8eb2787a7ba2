/**
 * The worker mailbox: tensors of every numeric datatype cross shared memory intact; what does not fit, or is not
 * numeric, is refused so that it travels in a message instead. And through a real model worker: a run small
 * enough for the mailbox and one too large for it give the same answers row for row.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SharedMailbox } from '../../src/runtimes/worker/shared-mailbox.js';
import { WorkerRuntime } from '../../src/runtimes/worker/worker-runtime.js';
import type { Tensor } from '../../src/tensor/index.js';
import { ROOT } from '../helpers/server.js';

const NAMES = ['a', 'b', 'c', 'label', 'logits'];

describe('shared mailbox', () => {
  it('carries numeric tensors of every width, their shapes and the wanted names, and copies them out', () => {
    const sent: Tensor[] = [
      { name: 'a', datatype: 'FP32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 1e-8, 7, Number.NaN]) },
      { name: 'b', datatype: 'INT64', shape: [3], data: BigInt64Array.from([-(2n ** 62n), 0n, 9007199254740993n]) },
      { name: 'c', datatype: 'BOOL', shape: [1, 1, 3], data: Uint8Array.from([1, 0, 1]) },
      { name: 'label', datatype: 'FP16', shape: [1], data: Uint16Array.from([0x3c00]) },
      { name: 'logits', datatype: 'FP64', shape: [0], data: new Float64Array(0) },
    ];
    const writer = SharedMailbox.create(4096);
    const reader = new SharedMailbox(writer.buffer);
    assert.equal(writer.write(sent, NAMES, ['logits', 'label'], 12345), true);
    const got = reader.read(NAMES);
    assert.deepEqual(got.tensors, sent);
    assert.deepEqual(got.wanted, ['logits', 'label']);
    assert.equal(got.computeNs, 12345);
    assert.ok(
      got.tensors.every((t) => !((t.data as Float32Array).buffer instanceof SharedArrayBuffer)),
      'copied out of shared memory',
    );
  });

  it('refuses what does not fit, BYTES tensors and names outside the table', () => {
    const box = SharedMailbox.create(4096);
    assert.equal(
      box.write([{ name: 'a', datatype: 'FP32', shape: [2000], data: new Float32Array(2000) }], NAMES),
      false,
      'too large',
    );
    assert.equal(box.write([{ name: 'a', datatype: 'BYTES', shape: [1], data: ['x'] }], NAMES), false, 'not numeric');
    assert.equal(
      box.write([{ name: 'zzz', datatype: 'FP32', shape: [1], data: new Float32Array(1) }], NAMES),
      false,
      'unknown name',
    );
    assert.equal(box.write([], NAMES, ['nope']), false, 'unknown wanted name');
  });
});

describe('a model worker with a mailbox', () => {
  it('answers a run through the mailbox and a run too large for it identically, row for row', async () => {
    const runtime = await WorkerRuntime.load({
      runtime: 'onnx',
      modelPath: join(ROOT, 'models', 'digits', '1', 'model.onnx'),
      intraOpThreads: 1,
      interOpThreads: 1,
      graphOptimizationLevel: 'all',
      allowSpinning: false,
    });
    try {
      const rows = 1500; // 1500 × 64 FP32 = 384 KiB: more than the mailbox holds
      const pixels = Float32Array.from({ length: rows * 64 }, (_, i) => (i * 7919) % 17);
      const large = await runtime.run(
        [{ name: 'input', datatype: 'FP32', shape: [rows, 64], data: pixels.slice() }],
        ['label', 'logits'],
      );
      for (const r of [0, 1, 777, rows - 1]) {
        const small = await runtime.run(
          [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: pixels.slice(r * 64, r * 64 + 64) }],
          ['label', 'logits'],
        );
        const logits = (ts: Tensor[]) => ts.find((t) => t.name === 'logits')!;
        const label = (ts: Tensor[]) => ts.find((t) => t.name === 'label')!;
        assert.deepEqual(logits(small).shape, [1, 10]);
        assert.deepEqual(
          [...(logits(small).data as Float32Array)],
          [...(logits(large).data as Float32Array).subarray(r * 10, r * 10 + 10)],
          `row ${r}: logits`,
        );
        assert.equal(
          (label(small).data as BigInt64Array)[0],
          (label(large).data as BigInt64Array)[r],
          `row ${r}: label`,
        );
      }
    } finally {
      await runtime.close();
    }
  });
});
