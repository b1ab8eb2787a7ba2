/**
 * Triton's classification extension over real HTTP (JSON and binary outputs) and gRPC: top-K per row as BYTES
 * "score:index:label", with labels from the output's label_filename read at load; ONNX and tree models.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { formatFixed6 } from '../../src/inference/format-score.js';
import { connect, rawBytes, rawOutput, type InferenceClient, type InferResponse } from '../grpc/grpc-client.js';
import {
  errorMessage,
  get,
  inferBody,
  outputNamed,
  postJson,
  readJsonFixture,
  ROOT,
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
const NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

const DIGITS_CONFIG = `
max_batch_size: 64
outputs:
  - { name: logits, datatype: FP32, dims: [10], label_filename: labels.txt }
  - { name: label, datatype: INT64, dims: [] }
`;

function digitsRequest(rows: number[][], outputs: object[]) {
  return { inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64], data: rows }], outputs };
}

/** "score:index[:label]" split into its parts. */
function parseClass(text: string): { score: string; index: number; label?: string } {
  const [score, index, label] = text.split(':');
  return { score, index: Number(index), label };
}

/** Length-prefixed (4-byte little-endian) BYTES elements. */
function decodeRawStrings(raw: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < raw.length;) {
    const n = raw.readUInt32LE(at);
    out.push(raw.subarray(at + 4, at + 4 + n).toString('utf8'));
    at += 4 + n;
  }
  return out;
}

describe('classification extension', () => {
  let server: RunningServer;
  let repo: TempRepository;
  let client: InferenceClient;

  before(async () => {
    repo = await tempRepository({
      digits: { onnx: 'models/digits/1/model.onnx', config: { file: 'config.yaml', text: DIGITS_CONFIG } },
      plain: { onnx: 'models/digits/1/model.onnx' },
      dtypes: { onnx: 'dtypes_identity.onnx' },
    });
    writeFileSync(join(repo.dir, 'digits', 'labels.txt'), `${NAMES.join('\n')}\n`);
    mkdirSync(join(repo.dir, 'xgb', '1'), { recursive: true });
    cpSync(join(ROOT, 'models/breast_cancer_xgb/1/model.json'), join(repo.dir, 'xgb', '1', 'model.json'));
    server = await startTestServer({ repository: repo.dir });
    client = connect(server.grpcUrl!);
  });

  after(async () => {
    client?.close();
    await server?.close();
    await repo?.cleanup();
  });

  it('is listed in the server extensions', async () => {
    const r = await get(`${server.url}/v2`);
    assert.ok((r.json as { extensions: string[] }).extensions.includes('classification'));
  });

  it('K=3 on digits logits: [N, 3] BYTES, highest first, top-1 is the reference label, labels from the file', async () => {
    const plain = inferBody(
      await postJson(`${server.url}/v2/models/digits/infer`, digitsRequest(digits.inputs, [{ name: 'logits' }])),
    );
    const logits = outputNamed(plain, 'logits').data as number[];
    const r = inferBody(
      await postJson(
        `${server.url}/v2/models/digits/infer`,
        digitsRequest(digits.inputs, [{ name: 'logits', parameters: { classification: 3 } }, { name: 'label' }]),
      ),
    );
    const classes = outputNamed(r, 'logits');
    assert.equal(classes.datatype, 'BYTES');
    assert.deepEqual(classes.shape, [digits.inputs.length, 3]);
    assert.deepEqual(outputNamed(r, 'label').data, digits.labels, 'other outputs are unchanged');
    digits.labels.forEach((expected, row) => {
      const top = (classes.data as string[]).slice(row * 3, row * 3 + 3).map(parseClass);
      assert.equal(top[0].index, expected, `row ${row}: top-1 index`);
      for (const c of top) {
        assert.equal(c.label, NAMES[c.index]);
        assert.equal(c.score, formatFixed6(logits[row * 10 + c.index]), `row ${row}: score of class ${c.index}`);
      }
      const scores = top.map((c) => logits[row * 10 + c.index]);
      assert.ok(scores[0] >= scores[1] && scores[1] >= scores[2], `row ${row}: sorted descending`);
    });
  });

  it('without a label file the strings are "score:index"; K above the class count gives every class', async () => {
    const r = inferBody(
      await postJson(
        `${server.url}/v2/models/plain/infer`,
        digitsRequest(digits.inputs.slice(0, 2), [{ name: 'logits', parameters: { classification: 20 } }]),
      ),
    );
    const classes = outputNamed(r, 'logits');
    assert.deepEqual(classes.shape, [2, 10]);
    for (const text of classes.data as string[]) assert.match(text, /^-?\d+\.\d{6}:\d$/);
    assert.equal(parseClass((classes.data as string[])[0]).index, digits.labels[0]);
  });

  it('works with binary outputs over HTTP', async () => {
    const body = {
      ...digitsRequest(digits.inputs.slice(0, 2), [
        { name: 'logits', parameters: { classification: 2, binary_data: true } },
      ]),
    };
    const res = await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const headerLength = Number(res.headers.get('inference-header-content-length'));
    const header = JSON.parse(bytes.subarray(0, headerLength).toString()) as {
      outputs: Array<{ datatype: string; shape: number[] }>;
    };
    assert.deepEqual(header.outputs[0].shape, [2, 2]);
    assert.equal(header.outputs[0].datatype, 'BYTES');
    const strings = decodeRawStrings(bytes.subarray(headerLength));
    assert.equal(strings.length, 4);
    assert.equal(parseClass(strings[0]).label, NAMES[digits.labels[0]]);
    assert.equal(parseClass(strings[2]).label, NAMES[digits.labels[1]]);
  });

  it('works over gRPC (int64_param), answered as raw BYTES', async () => {
    const res = await client.call<InferResponse>('ModelInfer', {
      model_name: 'digits',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 64] }],
      raw_input_contents: [rawBytes(Float32Array.from(digits.inputs.slice(0, 2).flat()))],
      outputs: [{ name: 'logits', parameters: { classification: { int64_param: 1 } } }],
    });
    const { tensor, raw } = rawOutput(res, 'logits');
    assert.equal(tensor.datatype, 'BYTES');
    assert.deepEqual(tensor.shape, ['2', '1']);
    assert.deepEqual(
      decodeRawStrings(raw).map((s) => parseClass(s).label),
      digits.labels.slice(0, 2).map((l) => NAMES[l]),
    );
  });

  it('works on a tree model and on integer outputs (exact digits)', async () => {
    const tree = inferBody(
      await postJson(`${server.url}/v2/models/xgb/infer`, {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: Array(30).fill(1) }],
        outputs: [{ name: 'probabilities', parameters: { classification: 1 } }, { name: 'label' }],
      }),
    );
    const [top] = outputNamed(tree, 'probabilities').data as string[];
    assert.equal(parseClass(top).index, (outputNamed(tree, 'label').data as number[])[0]);
    const ints = inferBody(
      await postJson(`${server.url}/v2/models/dtypes/infer`, {
        inputs: dtypesInputs(),
        outputs: [
          { name: 'out_int64', parameters: { classification: 2 } },
          { name: 'out_fp16', parameters: { classification: 1 } },
        ],
      }),
    );
    assert.deepEqual(outputNamed(ints, 'out_int64').data, ['9007199254740993:0', '-1:1']);
    assert.deepEqual(outputNamed(ints, 'out_fp16').data, ['0.500000:0']);
  });

  it('a bad classification parameter or a non-numeric output: 400', async () => {
    for (const k of [0, -1, 2.5, '3', true]) {
      const r = await postJson(
        `${server.url}/v2/models/digits/infer`,
        digitsRequest(digits.inputs.slice(0, 1), [{ name: 'logits', parameters: { classification: k } }]),
      );
      assert.equal(r.status, 400, `classification ${JSON.stringify(k)}`);
      assert.match(errorMessage(r), /output 'logits': parameter 'classification' must be a positive integer/);
    }
    const r = await postJson(`${server.url}/v2/models/dtypes/infer`, {
      inputs: dtypesInputs(),
      outputs: [{ name: 'out_bool', parameters: { classification: 1 } }],
    });
    assert.equal(r.status, 400);
    assert.match(errorMessage(r), /'out_bool' is BOOL and cannot be classified/);
  });
});

/** One row of two elements for every input of dtypes_identity.onnx. */
function dtypesInputs() {
  const t = (name: string, datatype: string, data: unknown[]) => ({ name, datatype, shape: [1, 2], data });
  return [
    t('in_bool', 'BOOL', [true, false]),
    t('in_int8', 'INT8', [1, 2]),
    t('in_int16', 'INT16', [1, 2]),
    t('in_int32', 'INT32', [1, 2]),
    t('in_int64', 'INT64', ['9007199254740993', -1]),
    t('in_uint8', 'UINT8', [1, 2]),
    t('in_uint16', 'UINT16', [1, 2]),
    t('in_uint32', 'UINT32', [1, 2]),
    t('in_uint64', 'UINT64', [1, 2]),
    t('in_fp16', 'FP16', [0.5, -2]),
    t('in_fp32', 'FP32', [1, 2]),
    t('in_fp64', 'FP64', [1, 2]),
    t('in_bytes', 'BYTES', ['a', 'b']),
  ];
}
