/**
 * The gRPC front end (inference.GRPCInferenceService) against the example repository models/, through a real
 * @grpc/grpc-js client: health, metadata, inference with raw and typed contents against the reference answers,
 * errors and their status codes, repository index, statistics, configuration.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import { readJsonFixture, startTestServer } from '../helpers/server.js';
import {
  asFloat32,
  asInt64,
  callWithBytes,
  connect,
  grpcError,
  rawBytes,
  rawOutput,
  type InferenceClient,
  type InferResponse,
} from './grpc-client.js';

interface DigitsReference {
  inputs: number[][];
  logits: number[][];
  labels: number[];
}

interface TreeReference {
  inputs: Array<Array<number | null>>;
  predictions: number[];
}

const digits = readJsonFixture<DigitsReference>('test/fixtures/reference/digits.json');
const cancer = readJsonFixture<TreeReference>('test/fixtures/xgboost/breast_cancer_binary/reference.json');
const packageVersion = readJsonFixture<{ version: string }>('package.json').version;

function assertClose(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]) <= tol, `${what}[${i}]: ${a}, expected ${expected[i]} within ${tol}`),
  );
}

/** A digits input carried as raw little-endian FP32 bytes. */
function rawDigits(rows: number[][]) {
  return {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64] }],
    raw_input_contents: [rawBytes(Float32Array.from(rows.flat()))],
  };
}

describe('gRPC inference service on models/', () => {
  let server: RunningServer;
  let client: InferenceClient;

  const infer = (request: object) => client.call<InferResponse>('ModelInfer', { model_name: 'digits', ...request });

  before(async () => {
    server = await startTestServer();
    assert.ok(server.grpcUrl, 'the gRPC endpoint is on by default');
    client = connect(server.grpcUrl);
  });

  after(async () => {
    client?.close();
    await server?.close();
  });

  it('binds a free port when http_port is 0 and reports it', () => {
    assert.ok(server.grpcPort && server.grpcPort > 0);
    assert.equal(server.grpcUrl, `127.0.0.1:${server.grpcPort}`);
  });

  it('ServerLive, ServerReady and ModelReady', async () => {
    assert.deepEqual(await client.call('ServerLive'), { live: true });
    assert.deepEqual(await client.call('ServerReady'), { ready: true });
    assert.deepEqual(await client.call('ModelReady', { name: 'digits' }), { ready: true });
    assert.deepEqual(await client.call('ModelReady', { name: 'digits', version: '1' }), { ready: true });
    assert.deepEqual(await client.call('ModelReady', { name: 'no_such_model' }), { ready: false });
  });

  it('ServerMetadata names inferd, its version and extensions', async () => {
    const meta = await client.call<{ name: string; version: string; extensions: string[] }>('ServerMetadata');
    assert.equal(meta.name, 'inferd');
    assert.equal(meta.version, packageVersion);
    assert.ok(meta.extensions.includes('model_configuration'));
  });

  it('ModelMetadata of digits: input FP32 [-1, 64], outputs logits FP32 [-1, 10] and label INT64 [-1]', async () => {
    const meta = await client.call('ModelMetadata', { name: 'digits' });
    assert.deepEqual(meta, {
      name: 'digits',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: ['-1', '64'] }],
      outputs: [
        { name: 'logits', datatype: 'FP32', shape: ['-1', '10'] },
        { name: 'label', datatype: 'INT64', shape: ['-1'] },
      ],
      parameters: {},
    });
  });

  it('ModelInfer with raw_input_contents answers every reference row (one request per row, concurrently)', async () => {
    const responses = await Promise.all(digits.inputs.map((row) => infer(rawDigits([row]))));
    responses.forEach((res, r) => {
      assert.equal(res.model_name, 'digits');
      assert.equal(res.model_version, '1');
      const logits = rawOutput(res, 'logits');
      assert.deepEqual(logits.tensor, {
        name: 'logits',
        datatype: 'FP32',
        shape: ['1', '10'],
        parameters: {},
        contents: null,
      });
      assertClose(asFloat32(logits.raw), digits.logits[r], 1e-4, `row ${r} logits`);
      const label = rawOutput(res, 'label');
      assert.deepEqual([label.tensor.datatype, label.tensor.shape], ['INT64', ['1']]);
      assert.deepEqual(asInt64(label.raw), [BigInt(digits.labels[r])], `row ${r} label`);
    });
  });

  it('ModelInfer with typed fp32_contents answers a batch of all reference rows', async () => {
    const rows = digits.inputs;
    const res = await infer({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 64], contents: { fp32_contents: rows.flat() } }],
    });
    const logits = rawOutput(res, 'logits');
    assert.deepEqual(logits.tensor.shape, [String(rows.length), '10']);
    assertClose(asFloat32(logits.raw), digits.logits.flat(), 1e-4, 'logits');
    assert.deepEqual(asInt64(rawOutput(res, 'label').raw), digits.labels.map(BigInt));
  });

  it('outputs selects outputs, and id is echoed', async () => {
    const res = await infer({ id: 'req-42', outputs: [{ name: 'label' }], ...rawDigits(digits.inputs.slice(0, 2)) });
    assert.equal(res.id, 'req-42');
    assert.deepEqual(
      res.outputs.map((o) => o.name),
      ['label'],
    );
    assert.equal(res.raw_output_contents.length, 1);
    assert.deepEqual(asInt64(res.raw_output_contents[0]), digits.labels.slice(0, 2).map(BigInt));
  });

  it('request parameters reach the core (priority, timeout as int64_param)', async () => {
    const res = await infer({
      parameters: { priority: { int64_param: 1 }, timeout: { int64_param: 1_000_000 } },
      ...rawDigits(digits.inputs.slice(0, 1)),
    });
    assert.deepEqual(asInt64(rawOutput(res, 'label').raw), [BigInt(digits.labels[0])]);
    const bad = await grpcError(
      infer({ parameters: { priority: { int64_param: 7 } }, ...rawDigits(digits.inputs.slice(0, 1)) }),
    );
    assert.equal(bad.code, status.INVALID_ARGUMENT);
    assert.match(bad.details, /priority 7 is out of range/);
  });

  it('an unknown model is NOT_FOUND', async () => {
    const err = await grpcError(
      client.call('ModelInfer', { model_name: 'no_such_model', ...rawDigits(digits.inputs.slice(0, 1)) }),
    );
    assert.equal(err.code, status.NOT_FOUND);
    assert.match(err.details, /unknown model 'no_such_model'/);
    const meta = await grpcError(client.call('ModelMetadata', { name: 'no_such_model' }));
    assert.equal(meta.code, status.NOT_FOUND);
  });

  it('client mistakes are INVALID_ARGUMENT with a message naming the problem', async () => {
    const cases: Array<[string, object, RegExp]> = [
      [
        'wrong datatype',
        {
          inputs: [
            { name: 'input', datatype: 'INT32', shape: [1, 64], contents: { int_contents: new Array(64).fill(1) } },
          ],
        },
        /input 'input' has datatype INT32, but model 'digits' expects FP32/,
      ],
      [
        'wrong shape',
        {
          inputs: [
            { name: 'input', datatype: 'FP32', shape: [1, 63], contents: { fp32_contents: new Array(63).fill(1) } },
          ],
        },
        /input 'input' has shape \[1, 63\], but model 'digits' expects \[-1, 64\]/,
      ],
      [
        'raw length mismatch',
        { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }], raw_input_contents: [Buffer.alloc(100)] },
        /raw_input_contents holds 100 bytes, but FP32 shape \[1, 64\] needs 256/,
      ],
      [
        'contents and raw',
        {
          inputs: [
            { name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: new Array(64).fill(1) } },
          ],
          raw_input_contents: [Buffer.alloc(256)],
        },
        /has contents, but the request also has raw_input_contents/,
      ],
      [
        'element count',
        { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: [1, 2, 3] } }] },
        /shape \[1, 64\] needs 64 elements but contents.fp32_contents has 3/,
      ],
      [
        'contents in the wrong field',
        { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], contents: { fp64_contents: [1, 2] } }] },
        /FP32, so its elements go in contents.fp32_contents, but the request filled contents.fp64_contents/,
      ],
      [
        'FP16 as typed contents',
        { inputs: [{ name: 'input', datatype: 'FP16', shape: [1, 1], contents: { fp32_contents: [1] } }] },
        /FP16 has no typed contents field; send its elements in raw_input_contents/,
      ],
      ['no data', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }] }, /input 'input' has no data/],
      [
        'raw entry count',
        {
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
          raw_input_contents: [Buffer.alloc(256), Buffer.alloc(4)],
        },
        /raw_input_contents has 2 entries, but the request has 1 inputs/,
      ],
      [
        'unknown datatype',
        { inputs: [{ name: 'input', datatype: 'FLOAT', shape: [1, 64] }] },
        /unknown datatype 'FLOAT'/,
      ],
      [
        'unknown output',
        { outputs: [{ name: 'nope' }], ...rawDigits(digits.inputs.slice(0, 1)) },
        /unknown output 'nope'/,
      ],
      ['no model name', { model_name: '', ...rawDigits(digits.inputs.slice(0, 1)) }, /model_name is required/],
    ];
    for (const [what, request, message] of cases) {
      const err = await grpcError(infer(request));
      assert.equal(err.code, status.INVALID_ARGUMENT, `${what}: ${err.details}`);
      assert.match(err.details, message, what);
    }
  });

  it('bytes that are not a protobuf message are INVALID_ARGUMENT, not INTERNAL', async () => {
    const err = await grpcError(callWithBytes(server.grpcUrl!, 'ModelInfer', Buffer.from([0x0a, 0xff, 0xff, 0xff])));
    assert.equal(err.code, status.INVALID_ARGUMENT);
    assert.match(err.details, /the request is not a valid ModelInfer message/);
  });

  it('RepositoryIndex lists digits READY', async () => {
    const { models } = await client.call<{
      models: Array<{ name: string; version: string; state: string; reason: string }>;
    }>('RepositoryIndex');
    assert.deepEqual(
      models.find((m) => m.name === 'digits'),
      { name: 'digits', version: '1', state: 'READY', reason: '' },
    );
    const ready = await client.call<{ models: unknown[] }>('RepositoryIndex', { ready: true });
    assert.equal(ready.models.length, models.filter((m) => m.state === 'READY').length);
  });

  it('RepositoryModelLoad and Unload are refused outside explicit mode, saying which flag to use', async () => {
    for (const method of ['RepositoryModelLoad', 'RepositoryModelUnload']) {
      const err = await grpcError(client.call(method, { model_name: 'digits' }));
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.match(err.details, /--model-control-mode explicit/);
    }
  });

  it('ModelStatistics: inference_count grows with requests', async () => {
    type Stats = {
      model_stats: Array<{
        name: string;
        version: string;
        inference_count: string;
        execution_count: string;
        inference_stats: { success: { count: string } };
        batch_stats: Array<{ batch_size: string; compute_infer: { count: string } }>;
      }>;
    };
    const before = await client.call<Stats>('ModelStatistics', { name: 'digits' });
    assert.equal(before.model_stats.length, 1);
    await infer(rawDigits(digits.inputs.slice(0, 3)));
    const afterStats = await client.call<Stats>('ModelStatistics', { name: 'digits', version: '1' });
    const [b, a] = [before.model_stats[0], afterStats.model_stats[0]];
    assert.equal(a.name, 'digits');
    assert.equal(a.version, '1');
    assert.equal(Number(a.inference_count), Number(b.inference_count) + 3);
    assert.equal(Number(a.inference_stats.success.count), Number(b.inference_stats.success.count) + 1);
    assert.ok(a.batch_stats.some((s) => s.batch_size === '3' && Number(s.compute_infer.count) >= 1));
    const all = await client.call<Stats>('ModelStatistics');
    assert.ok(all.model_stats.some((s) => s.name === 'breast_cancer_xgb'));
    const unknown = await grpcError(client.call('ModelStatistics', { name: 'no_such_model' }));
    assert.equal(unknown.code, status.NOT_FOUND);
  });

  it('ModelConfig answers the completed configuration', async () => {
    const { config } = await client.call<{ config: Record<string, unknown> }>('ModelConfig', { name: 'digits' });
    assert.equal(config.name, 'digits');
    assert.equal(config.platform, 'onnxruntime_onnx');
    assert.equal(config.backend, 'onnxruntime');
    assert.equal(config.max_batch_size, 64);
    assert.deepEqual(config.input, [
      {
        name: 'input',
        data_type: 'TYPE_FP32',
        format: 'FORMAT_NONE',
        dims: ['64'],
        is_shape_tensor: false,
        allow_ragged_batch: false,
        optional: false,
      },
    ]);
    assert.deepEqual(
      (config.output as Array<{ name: string; data_type: string }>).map((o) => [o.name, o.data_type]),
      [
        ['logits', 'TYPE_FP32'],
        ['label', 'TYPE_INT64'],
      ],
    );
    assert.equal(config.scheduling_choice, 'dynamic_batching');
  });

  it('the XGBoost model breast_cancer_xgb serves over gRPC (raw FP32 with NaN for missing values, explain parameter)', async () => {
    const rows = cancer.inputs.map((r) => r.map((v) => (v === null ? NaN : v)));
    const res = await client.call<InferResponse>('ModelInfer', {
      model_name: 'breast_cancer_xgb',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 30] }],
      raw_input_contents: [rawBytes(Float32Array.from(rows.flat()))],
      parameters: { explain: { bool_param: true } },
    });
    assert.deepEqual(
      res.outputs.map((o) => o.name),
      ['label', 'probabilities', 'treeshap_output'],
    );
    const probabilities = asFloat32(rawOutput(res, 'probabilities').raw);
    assertClose(
      probabilities.filter((_, i) => i % 2 === 1),
      cancer.predictions,
      1e-6,
      'probability of class 1',
    );
    assert.deepEqual(rawOutput(res, 'treeshap_output').tensor.shape, [String(rows.length), '31']);
  });
});
