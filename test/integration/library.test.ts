/**
 * inferd as an in-process library: Inferd.create on models/, infer with typed arrays, typed errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Inferd, InferenceError, NotFoundError } from '../../src/index.js';
import { MODELS_DIR, assertClose, readJsonFixture } from '../helpers/server.js';

const digits = readJsonFixture<{ inputs: number[][]; logits: number[][]; labels: number[] }>(
  'test/fixtures/reference/digits.json',
);

/** Resolves with what `promise` rejected with; fails when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  return assert.fail('expected the promise to reject');
}

describe('Inferd library', () => {
  let inferd: Inferd;

  before(async () => {
    inferd = await Inferd.create({ modelRepository: MODELS_DIR });
  });

  after(async () => {
    await inferd?.stop();
  });

  it('lists the example models as READY', () => {
    const index = inferd.service.index();
    for (const name of ['breast_cancer', 'digits', 'mlp_heavy']) {
      assert.deepEqual(
        index.filter((e) => e.name === name).map((e) => [e.name, e.version, e.state]),
        [[name, 1, 'READY']],
      );
    }
    assert.deepEqual(
      index.filter((e) => e.state !== 'READY'),
      [],
    );
  });

  it('infers in process with Float32Array data and returns the reference label and logits', async () => {
    for (const row of [0, 1, 9]) {
      const res = await inferd.infer({
        model: 'digits',
        id: `lib-${row}`,
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: Float32Array.from(digits.inputs[row]) }],
      });
      assert.equal(res.model, 'digits');
      assert.equal(res.version, '1');
      assert.equal(res.id, `lib-${row}`);
      assert.deepEqual(
        res.outputs.map((o) => o.name),
        ['logits', 'label'],
      );
      const [logits, label] = res.outputs;
      assert.equal(label.datatype, 'INT64');
      assert.deepEqual(label.shape, [1]);
      assert.ok(label.data instanceof BigInt64Array, 'INT64 output is a BigInt64Array');
      assert.equal(label.data[0], BigInt(digits.labels[row]));
      assert.equal(logits.datatype, 'FP32');
      assert.deepEqual(logits.shape, [1, 10]);
      assert.ok(logits.data instanceof Float32Array, 'FP32 output is a Float32Array');
      assertClose(Array.from(logits.data), digits.logits[row], 1e-4, `row ${row} logits`);
    }
  });

  it('infers a batch, selecting one output, on an explicit version', async () => {
    const rows = digits.inputs.slice(0, 5);
    const res = await inferd.infer({
      model: 'digits',
      version: '1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [5, 64], data: Float32Array.from(rows.flat()) }],
      outputs: [{ name: 'label' }],
    });
    assert.equal(res.outputs.length, 1);
    assert.equal(res.outputs[0].name, 'label');
    assert.deepEqual(Array.from(res.outputs[0].data as BigInt64Array, Number), digits.labels.slice(0, 5));
  });

  it("leaves the caller's input array intact, so it can be reused", async () => {
    const data = Float32Array.from(digits.inputs[3]);
    const request = { model: 'digits', inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [1, 64], data }] };
    const first = await inferd.infer(request);
    assert.equal(data.length, 64, 'the input array still has its 64 elements after infer');
    assert.deepEqual(Array.from(data), digits.inputs[3]);
    const second = await inferd.infer(request);
    assert.deepEqual(second.outputs[1].data, first.outputs[1].data);
  });

  it("an unknown model rejects with code 'NOT_FOUND'", async () => {
    const err = await rejection(
      inferd.infer({
        model: 'no_such_model',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Float32Array(64) }],
      }),
    );
    assert.ok(err instanceof InferenceError, 'an InferenceError');
    assert.ok(err instanceof NotFoundError, 'a NotFoundError');
    assert.equal(err.code, 'NOT_FOUND');
    assert.match(err.message, /no_such_model/);
  });

  it("an unknown version rejects with code 'NOT_FOUND'; a malformed one with 'INVALID_ARGUMENT'", async () => {
    const input = () => [{ name: 'input', datatype: 'FP32' as const, shape: [1, 64], data: new Float32Array(64) }];
    const missing = await rejection(inferd.infer({ model: 'digits', version: '7', inputs: input() }));
    assert.ok(missing instanceof InferenceError);
    assert.equal(missing.code, 'NOT_FOUND');
    const malformed = await rejection(inferd.infer({ model: 'digits', version: 'v1', inputs: input() }));
    assert.ok(malformed instanceof InferenceError);
    assert.equal(malformed.code, 'INVALID_ARGUMENT');
  });

  it("a request that does not match the signature rejects with code 'INVALID_ARGUMENT'", async () => {
    const wrongType = await rejection(
      inferd.infer({
        model: 'digits',
        inputs: [{ name: 'input', datatype: 'FP64', shape: [1, 64], data: new Float64Array(64) }],
      }),
    );
    assert.ok(wrongType instanceof InferenceError);
    assert.equal(wrongType.code, 'INVALID_ARGUMENT');
    assert.match(wrongType.message, /FP64/);
    const wrongCount = await rejection(
      inferd.infer({
        model: 'digits',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Float32Array(10) }],
      }),
    );
    assert.ok(wrongCount instanceof InferenceError);
    assert.equal(wrongCount.code, 'INVALID_ARGUMENT');
  });
});

describe('Inferd library lifecycle', () => {
  it('stop() answers what was accepted, then refuses new requests with a typed error', async () => {
    const inferd = await Inferd.create({ modelRepository: MODELS_DIR });
    try {
      const input = (row: number) => [
        { name: 'input', datatype: 'FP32' as const, shape: [1, 64], data: Float32Array.from(digits.inputs[row]) },
      ];
      const inFlight = [0, 1, 2, 3].map((row) => inferd.infer({ model: 'digits', inputs: input(row) }));
      const stopped = inferd.stop();
      const results = await Promise.all(inFlight);
      results.forEach((r, row) => assert.equal(r.outputs[1].data[0], BigInt(digits.labels[row])));
      await stopped;
      const err = await rejection(inferd.infer({ model: 'digits', inputs: input(0) }));
      assert.ok(err instanceof InferenceError);
      assert.ok(['MODEL_NOT_READY', 'UNAVAILABLE'].includes(err.code), `code ${err.code}`);
    } finally {
      await inferd.stop();
    }
  });
});
