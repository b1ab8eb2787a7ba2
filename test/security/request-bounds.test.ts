/**
 * Bounds on what a request may ask for: the queue `timeout` parameter (at most what a timer can honour), the
 * request `id` (at most 256 characters, never echoed when over), a load request's instance count (1 to 64) and
 * Triton's `file:` load parameters and other config features inferd does not implement (refused, with a reason).
 * Each over HTTP and gRPC, against a real server.
 */
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { connect, type InferenceClient } from '../grpc/grpc-client.js';
import { startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';

const PAIR = { inputs: ['a', 'b'].map((name) => ({ name, datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] })) };
const grpcPair = {
  model_name: 'pair',
  inputs: ['a', 'b'].map((name) => ({
    name,
    datatype: 'FP32',
    shape: ['1', '3'],
    contents: { fp32_contents: [1, 2, 3] },
  })),
};

async function post(server: RunningServer, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

function grpcCall(client: InferenceClient, method: string, request: object): Promise<ServiceError | undefined> {
  return client.call(method, request).then(
    () => undefined,
    (e: ServiceError) => e,
  );
}

const loadWith = (config: object) => ({ parameters: { config: JSON.stringify(config) } });

describe('request bounds', () => {
  let repo: TempRepository;
  let server: RunningServer;
  let grpc: InferenceClient;

  before(async () => {
    repo = await tempRepository({
      pair: { onnx: 'two_in_two_out.onnx', config: { file: 'config.pbtxt', text: 'max_batch_size: 4\n' } },
    });
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: 0, metrics_port: -1, model_control_mode: 'explicit', load_models: ['pair'] },
    });
    grpc = connect(server.grpcUrl!);
  });

  after(async () => {
    grpc?.close();
    await server?.close();
    await repo?.cleanup();
  });

  it('parameters.timeout above what a timer can honour is 400 naming the limit; a large valid one still answers', async () => {
    const huge = await post(server, '/v2/models/pair/infer', {
      ...PAIR,
      parameters: { timeout: 2 ** 31 * 1000 + 5000 },
    });
    assert.equal(huge.status, 400, huge.text);
    assert.match(huge.text, /above the largest queue timeout inferd can honour \(2147483647000 µs/);
    const ok = await post(server, '/v2/models/pair/infer', { ...PAIR, parameters: { timeout: 2_147_483_647_000 } });
    assert.equal(ok.status, 200, ok.text);
    for (const bad of [-1, 1.5, 'soon']) {
      const r = await post(server, '/v2/models/pair/infer', { ...PAIR, parameters: { timeout: bad } });
      assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
    }
    const err = await grpcCall(grpc, 'ModelInfer', {
      ...grpcPair,
      parameters: { timeout: { uint64_param: '18446744073709551615' } },
    });
    assert.equal(err?.code, status.INVALID_ARGUMENT, err?.message);
    assert.match(err!.details, /largest queue timeout inferd can honour/);
    const dbl = await grpcCall(grpc, 'ModelInfer', {
      ...grpcPair,
      parameters: { timeout: { int64_param: String(2 ** 31 * 1000) } },
    });
    assert.equal(dbl?.code, status.INVALID_ARGUMENT, dbl?.message);
  });

  it('a request id over 256 characters is 400 naming the limit and is not echoed; 256 characters pass', async () => {
    const long = 'i'.repeat(1_000_000);
    const r = await post(server, '/v2/models/pair/infer', { ...PAIR, id: long });
    assert.equal(r.status, 400, r.text.slice(0, 200));
    assert.match(r.text, /'id' is 1000000 characters long, above the limit of 256/);
    assert.ok(r.text.length < 300, `the answer is ${r.text.length} bytes`);
    const ok = await post(server, '/v2/models/pair/infer', { ...PAIR, id: 'i'.repeat(256) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((JSON.parse(ok.text) as { id: string }).id, 'i'.repeat(256));
    const err = await grpcCall(grpc, 'ModelInfer', { ...grpcPair, id: 'g'.repeat(100_000) });
    assert.equal(err?.code, status.INVALID_ARGUMENT, err?.message);
    assert.match(err!.details, /above the limit of 256/);
    assert.ok(!err!.details.includes('gggg'), 'the id is not echoed');
  });

  it('a load override with instance_group count 0, negative, fractional or huge is 400 with the bound; the model keeps serving', async () => {
    for (const count of [0, -3, 1.5, 100_000]) {
      const r = await post(
        server,
        '/v2/repository/models/pair/load',
        loadWith({ max_batch_size: 4, instance_group: [{ count }] }),
      );
      assert.equal(r.status, 400, `count ${count}: ${r.text}`);
      assert.match(
        r.text,
        count === 100_000
          ? /100000 instances in all, above the limit of 64/
          : /count must be a whole number from 1 to 64/,
      );
      assert.doesNotMatch(r.text, /Cannot read properties/);
    }
    const split = await post(
      server,
      '/v2/repository/models/pair/load',
      loadWith({ max_batch_size: 4, instance_group: [{ count: 40 }, { count: 40 }] }),
    );
    assert.equal(split.status, 400, split.text);
    assert.match(split.text, /80 instances in all/);
    const err = await grpcCall(grpc, 'RepositoryModelLoad', {
      model_name: 'pair',
      parameters: { config: { string_param: JSON.stringify({ instance_group: [{ count: 0 }] }) } },
    });
    assert.equal(err?.code, status.INVALID_ARGUMENT, err?.message);
    assert.equal((await post(server, '/v2/models/pair/infer', PAIR)).status, 200);
  });

  it("Triton's file: load parameters are refused with what to do instead, over HTTP and gRPC", async () => {
    const r = await post(server, '/v2/repository/models/pair/load', {
      parameters: { 'file:1/model.onnx': Buffer.from('not a model').toString('base64') },
    });
    assert.equal(r.status, 400, r.text);
    assert.match(
      r.text,
      /load parameter 'file:1\/model\.onnx' is not supported.*copy the files into the model repository/,
    );
    const other = await post(server, '/v2/repository/models/pair/load', { parameters: { cofig: '{}' } });
    assert.equal(other.status, 400, other.text);
    assert.match(other.text, /unknown load parameter 'cofig'/);
    const err = await grpcCall(grpc, 'RepositoryModelLoad', {
      model_name: 'pair',
      parameters: { 'file:1/model.onnx': { bytes_param: Buffer.from('x') } },
    });
    assert.equal(err?.code, status.INVALID_ARGUMENT, err?.message);
    assert.match(err!.details, /not supported/);
  });

  it('config features that would change answers if ignored are refused with a reason', async () => {
    const cases: Array<[object, RegExp]> = [
      [
        { parameters: { 'file:1/model.onnx': { string_value: 'x' } } },
        /parameter 'file:1\/model\.onnx' \(model files in the config\) is not supported/,
      ],
      [{ sequence_batching: {} }, /sequence_batching \(stateful models\) is not supported/],
      [
        { input: [{ name: 'a', data_type: 'TYPE_FP32', dims: [3], reshape: { shape: [3, 1] } }] },
        /input 'a' reshape is not supported/,
      ],
      [{ model_transaction_policy: { decoupled: true } }, /decoupled: true \} is not supported/],
      [
        { max_batch_size: 4, dynamic_batching: { max_queue_delay_microseconds: 1e30 } },
        /max_queue_delay_microseconds 1e\+30 is above the longest wait inferd can time/,
      ],
      [
        { max_batch_size: 4, dynamic_batching: { default_queue_policy: { default_timeout_microseconds: 1e16 } } },
        /default_timeout_microseconds 10000000000000000 is above/,
      ],
      [
        { max_batch_size: 4, dynamic_batching: { default_queue_policy: { max_queue_size: -5 } } },
        /max_queue_size must be a whole number from 0, got -5/,
      ],
      [
        { max_batch_size: 4, dynamic_batching: { preferred_batch_size: [0] } },
        /preferred_batch_size 0 must be a whole number from 1/,
      ],
    ];
    for (const [config, message] of cases) {
      const r = await post(server, '/v2/repository/models/pair/load', loadWith(config));
      assert.equal(r.status, 400, `${JSON.stringify(config)}: ${r.text}`);
      assert.match(r.text, message);
    }
    assert.equal((await post(server, '/v2/models/pair/infer', PAIR)).status, 200);
  });
});
