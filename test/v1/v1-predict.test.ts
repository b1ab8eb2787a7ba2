/**
 * TF Serving / KServe V1 predict over real HTTP: row (`instances`) and columnar (`inputs`) formats answer what
 * V2 answers, for one-input, multi-input, non-batching and every-datatype models.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  inferBody,
  outputNamed,
  postJson,
  readJsonFixture,
  startTestServer,
  tempRepository,
  type TempRepository,
} from '../helpers/server.js';

interface DigitsReference {
  inputs: number[][];
  logits: number[][];
  labels: number[];
}

const digits = readJsonFixture<DigitsReference>('test/fixtures/reference/digits.json');
const ROWS = digits.inputs.slice(0, 8);

/** Splits a flat V2 data array into rows of `width`. */
function chunk<T>(data: readonly T[], width: number): T[][] {
  return Array.from({ length: data.length / width }, (_, i) => data.slice(i * width, (i + 1) * width));
}

describe('V1 predict', () => {
  let server: RunningServer;
  let repo: TempRepository;
  let v2Logits: number[][];
  let v2Labels: number[];

  before(async () => {
    repo = await tempRepository({
      digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: 'max_batch_size: 64\n' } },
      pair: { onnx: 'two_in_two_out.onnx' },
      batch_last: { onnx: 'batch_last.onnx' },
      dtypes: { onnx: 'dtypes_identity.onnx' },
    });
    server = await startTestServer({ repository: repo.dir });
    const v2 = inferBody(
      await postJson(`${server.url}/v2/models/digits/infer`, {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [ROWS.length, 64], data: ROWS }],
      }),
    );
    v2Logits = chunk(outputNamed(v2, 'logits').data as number[], 10);
    v2Labels = outputNamed(v2, 'label').data as number[];
  });

  after(async () => {
    await server?.close();
    await repo?.cleanup();
  });

  const predict = (path: string, body: unknown) => postJson(`${server.url}/v1/models/${path}`, body);

  it('row format: one object per row with every output, equal to the V2 answer', async () => {
    const r = await predict('digits:predict', { instances: ROWS, signature_name: 'serving_default' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /application\/json/);
    const { predictions } = r.json as { predictions: Array<{ logits: number[]; label: number }> };
    assert.deepEqual(
      predictions.map((p) => p.logits),
      v2Logits,
    );
    assert.deepEqual(
      predictions.map((p) => p.label),
      v2Labels,
    );
    assert.deepEqual(v2Labels, digits.labels.slice(0, ROWS.length));
  });

  it('columnar format: a bare list or an object keyed by input name, answered as an object of outputs', async () => {
    for (const inputs of [ROWS, { input: ROWS }]) {
      const r = await predict('digits:predict', { inputs });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { outputs: { logits: v2Logits, label: v2Labels } });
    }
  });

  it('the versioned path answers the same', async () => {
    const r = await predict('digits/versions/1:predict', { instances: ROWS.slice(0, 1) });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { predictions: [{ logits: v2Logits[0], label: v2Labels[0] }] });
  });

  it('multi-input: instances as objects keyed by input name, and a columnar object', async () => {
    const rows = await predict('pair:predict', {
      instances: [
        { a: [1, 2, 3], b: [4, 5, 6] },
        { a: [0, 1, 0], b: [7, 8, 9] },
      ],
    });
    assert.equal(rows.status, 200, rows.text);
    assert.deepEqual(rows.json, {
      predictions: [
        { sum: [5, 7, 9], product: [4, 10, 18] },
        { sum: [7, 9, 9], product: [0, 8, 0] },
      ],
    });
    const columns = await predict('pair:predict', {
      inputs: {
        a: [
          [1, 2, 3],
          [0, 1, 0],
        ],
        b: [
          [4, 5, 6],
          [7, 8, 9],
        ],
      },
    });
    assert.equal(columns.status, 200, columns.text);
    assert.deepEqual(columns.json, {
      outputs: {
        sum: [
          [5, 7, 9],
          [7, 9, 9],
        ],
        product: [
          [4, 10, 18],
          [0, 8, 0],
        ],
      },
    });
  });

  it('one output in row format: a list of per-row values (a non-batching model: stacked instances, as is)', async () => {
    const single = await predict('batch_last:predict', {
      instances: [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ],
    });
    assert.equal(single.status, 200, single.text);
    const v2 = inferBody(
      await postJson(`${server.url}/v2/models/batch_last/infer`, {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [4, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] }],
      }),
    );
    assert.deepEqual(single.json, { predictions: chunk(outputNamed(v2, 'y').data, 2) });
  });

  it('a non-batching model takes the value exactly as declared (columnar) and refuses another shape', async () => {
    const ok = await predict('batch_last:predict', {
      inputs: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
        [0, 0, 0],
      ],
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((ok.json as { outputs: number[][] }).outputs.length, 4);
    const bad = await predict('batch_last:predict', { inputs: [[1, 2, 3]] });
    assert.equal(bad.status, 400);
    assert.match((bad.json as { error: string }).error, /input 'x'.*does not batch.*\[4, -1\].*\[1, 3\]/);
  });

  it('datatypes come from the model: integers, exact 64-bit values, booleans, FP16, strings and {"b64": ...}', async () => {
    const row = {
      in_bool: [true, false],
      in_int8: [-128, 127],
      in_int16: [-3, 3],
      in_int32: [-2147483648, 7],
      in_int64: ['9007199254740993', -1],
      in_uint8: [0, 255],
      in_uint16: [1, 65535],
      in_uint32: [0, 4294967295],
      in_uint64: ['18446744073709551615', 0],
      in_fp16: [0.5, -2],
      in_fp32: [0.25, null],
      in_fp64: [1e-300, 3],
      in_bytes: ['hello', { b64: Buffer.from('wörld').toString('base64') }],
    };
    const r = await predict('dtypes:predict', { instances: [row] });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /"out_int64":\[9007199254740993,-1\]/, 'INT64 digits are exact');
    assert.match(r.text, /"out_uint64":\[18446744073709551615,0\]/);
    const [p] = (r.json as { predictions: Array<Record<string, unknown[]>> }).predictions;
    assert.deepEqual(p.out_bool, [true, false]);
    assert.deepEqual(p.out_uint32, [0, 4294967295]);
    assert.deepEqual(p.out_fp16, [0.5, -2]);
    assert.deepEqual(p.out_fp32, [0.25, null]);
    assert.deepEqual(p.out_bytes, ['hello', 'wörld']);
  });
});
