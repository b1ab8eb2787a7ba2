import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Inferd } from '../../src/index.js';
import type { InferenceRequest, Tensor } from '../../src/index.js';
import { makeRepository, ROOT } from './temp-repository.js';

const reference = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/reference/digits.json'), 'utf8')) as {
  inputs: number[][];
};

let inferd: Inferd;
let repo: ReturnType<typeof makeRepository>;

before(async () => {
  repo = makeRepository({
    // A long queue delay so concurrent requests are certain to be joined.
    digits_batched: {
      onnx: 'models/digits/1/model.onnx',
      configYaml: 'max_batch_size: 64\ndynamic_batching:\n  max_queue_delay_microseconds: 20000\n',
    },
    digits_alone: { onnx: 'models/digits/1/model.onnx', configYaml: 'max_batch_size: 64\ndynamic_batching: false\n' },
    identity: {
      onnx: 'test/fixtures/models/dtypes_identity.onnx',
      configYaml: 'max_batch_size: 16\ndynamic_batching:\n  max_queue_delay_microseconds: 20000\n',
    },
  });
  inferd = await Inferd.create({ modelRepository: repo.dir });
});

after(async () => {
  await inferd.stop();
  repo.remove();
});

function digitsRequest(model: string, rows: number[][]): InferenceRequest {
  return {
    model,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64], data: new Float32Array(rows.flat()) }],
  };
}

function plain(outputs: readonly Tensor[]) {
  return outputs.map((t) => ({
    name: t.name,
    shape: [...t.shape],
    data: Array.from(t.data as ArrayLike<number | bigint>),
  }));
}

test('batched answers equal unbatched answers element for element', async () => {
  // Requests of 1, 2 and 3 rows, in flight together.
  const groups = Array.from({ length: 24 }, (_, i) => reference.inputs.slice(i, i + 1 + (i % 3)));
  const before = inferd.service.statistics('digits_batched')[0].executionCount;
  const batched = await Promise.all(groups.map((g) => inferd.infer(digitsRequest('digits_batched', g))));
  const alone: Awaited<ReturnType<Inferd['infer']>>[] = [];
  for (const g of groups) alone.push(await inferd.infer(digitsRequest('digits_alone', g)));
  for (let i = 0; i < groups.length; i++) {
    assert.deepEqual(plain(batched[i].outputs), plain(alone[i].outputs), `request ${i}`);
  }
  const stats = inferd.service.statistics('digits_batched')[0];
  const executions = stats.executionCount - before;
  assert.ok(
    executions < groups.length / 4,
    `expected requests to be joined, got ${executions} runtime calls for ${groups.length} requests`,
  );
  assert.ok(
    stats.batches.some((b) => b.batchSize > 3),
    'a batch larger than any single request formed',
  );
});

function identityRequest(n: number, seed: number): InferenceRequest {
  const fill = <T>(f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i + seed));
  const inputs: Tensor[] = [
    { name: 'in_bool', datatype: 'BOOL', shape: [1, n], data: new Uint8Array(fill((i) => i % 2)) },
    { name: 'in_int8', datatype: 'INT8', shape: [1, n], data: new Int8Array(fill((i) => -i)) },
    { name: 'in_int16', datatype: 'INT16', shape: [1, n], data: new Int16Array(fill((i) => i * 300)) },
    { name: 'in_int32', datatype: 'INT32', shape: [1, n], data: new Int32Array(fill((i) => i * 70000)) },
    {
      name: 'in_int64',
      datatype: 'INT64',
      shape: [1, n],
      data: new BigInt64Array(fill((i) => BigInt(i) * 10n ** 12n)),
    },
    { name: 'in_uint8', datatype: 'UINT8', shape: [1, n], data: new Uint8Array(fill((i) => i)) },
    { name: 'in_uint16', datatype: 'UINT16', shape: [1, n], data: new Uint16Array(fill((i) => i * 2)) },
    { name: 'in_uint32', datatype: 'UINT32', shape: [1, n], data: new Uint32Array(fill((i) => i * 3)) },
    { name: 'in_uint64', datatype: 'UINT64', shape: [1, n], data: new BigUint64Array(fill((i) => BigInt(i) * 5n)) },
    { name: 'in_fp16', datatype: 'FP16', shape: [1, n], data: new Uint16Array(fill((i) => 0x3c00 + i)) },
    { name: 'in_fp32', datatype: 'FP32', shape: [1, n], data: new Float32Array(fill((i) => i / 3)) },
    { name: 'in_fp64', datatype: 'FP64', shape: [1, n], data: new Float64Array(fill((i) => i / 7)) },
    { name: 'in_bytes', datatype: 'BYTES', shape: [1, n], data: fill((i) => `s${i}`) },
  ];
  return { model: 'identity', inputs };
}

test('requests whose non-batch dimensions differ are not joined, and each gets its own data back', async () => {
  const before = inferd.service.statistics('identity')[0];
  const requests = [2, 3, 2, 3, 5].map((n, i) => identityRequest(n, i * 10));
  const answers = await Promise.all(requests.map((r) => inferd.infer(r)));
  answers.forEach((a, i) => {
    for (const input of requests[i].inputs) {
      const out = a.outputs.find((o) => o.name === input.name.replace('in_', 'out_'))!;
      assert.deepEqual(out.shape, input.shape);
      assert.deepEqual(
        Array.from(out.data as ArrayLike<unknown>),
        Array.from(input.data as ArrayLike<unknown>),
        input.name,
      );
    }
  });
  const after = inferd.service.statistics('identity')[0];
  const calls = after.executionCount - before.executionCount;
  // Three distinct widths (2, 3, 5): at least three calls; same widths may join.
  assert.ok(calls >= 3 && calls <= 5, `expected 3 to 5 runtime calls, got ${calls}`);
  assert.equal(after.inferenceCount - before.inferenceCount, 5);
});
