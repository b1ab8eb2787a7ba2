/**
 * One bad row in a batch: lut_gather (scripts/fixtures/make_bad_row_models.py) looks each index up in a 10-entry
 * table with a Gather, so an index of 10 fails the whole runtime call ("indices element out of data bounds"). Nine
 * requests are joined into one call deterministically (a preferred batch of 9, waiting up to a minute for it): the
 * 8 valid ones must get their answers, the bad one a 400 / INVALID_ARGUMENT naming the runtime's reason, and nothing
 * may count as the server's failure (SLO, breaker, metrics). A model that fails every input still answers 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { RunningServer } from '../../src/index.js';
import {
  errorMessage,
  get,
  inferBody,
  postJson,
  startTestServer,
  tempRepository,
  type HttpResult,
  type TempRepository,
} from '../helpers/server.js';
import { asFloat32, connect, rawBytes } from '../grpc/grpc-client.js';
import { metricValue } from './metrics.js';

const BATCH_OF_9 =
  'max_batch_size: 16\ndynamic_batching: { preferred_batch_size: [9], max_queue_delay_microseconds: 60000000 }\n';
const SLO = 'slo: { availability: 0.99 }\n';
const FALLBACK =
  'fallback:\n  constant: { value: [-1, -1, -1, -1] }\n  breaker: { failure_threshold: 3, error_rate: 0, open_ms: 600000 }\n';

let repo: TempRepository;
let server: RunningServer;

before(async () => {
  const config = (text: string) => ({ file: 'config.yaml' as const, text });
  repo = await tempRepository({
    lut: { onnx: 'lut_gather.onnx', config: config(BATCH_OF_9 + SLO) },
    lut_grpc: { onnx: 'lut_gather.onnx', config: config(BATCH_OF_9 + SLO) },
    lut_guarded: { onnx: 'lut_gather.onnx', config: config(BATCH_OF_9 + FALLBACK) },
    lut_lone: { onnx: 'lut_gather.onnx', config: config(SLO) },
    lut_broken: { onnx: 'lut_always_fails.onnx', config: config(BATCH_OF_9 + SLO) },
  });
  server = await startTestServer({ repository: repo.dir });
});

after(async () => {
  await server?.close();
  await repo?.cleanup();
});

/** The table the model looks indices up in. */
const TABLE = Array.from({ length: 10 }, (_, i) => 10 * i + 0.5);
/** Valid request i's indices (a negative one counts from the end, as ONNX Gather does) and its expected answer. */
const goodIndices = (i: number) => [i % 10, (i + 3) % 10, (i + 7) % 10, -1 - (i % 10)];
const expected = (indices: readonly number[]) => indices.map((k) => TABLE[k < 0 ? k + 10 : k]);
/** Index 10 is one past the table's end: the whole call fails. */
const BAD_INDICES = [1, 10, 2, 3];

const v2 = (model: string, indices: readonly number[]) =>
  postJson(`${server.url}/v2/models/${model}/infer`, {
    inputs: [{ name: 'index', datatype: 'INT64', shape: [1, 4], data: indices }],
  });

async function slo(model: string): Promise<{ total: number; good: number }> {
  const r = await get(`${server.url}/v1/models/${model}/slo`);
  assert.equal(r.status, 200, r.text);
  const { total, good } = (r.json as { slis: { availability: { window: { total: number; good: number } } } }).slis
    .availability.window;
  return { total, good };
}

function assertRejectedInput(message: string): void {
  assert.match(
    message,
    /^model 'lut\w*' version 1 rejected this request's input: its run failed when retried on its own, while 8 other requests batched with it were answered\./,
  );
  assert.match(message, /The runtime said: .*Gather node.*indices element out of data bounds, idx=10/);
  assert.ok(!message.includes(repo.dir) && !/(^|\s)\/\w+\/\w+/.test(message), `no absolute path in: ${message}`);
}

describe('a bad row batched with 8 valid requests', () => {
  it('over HTTP: the 8 valid ones get 200 with their values, the bad one (over V1) 400 with the reason; no server error is counted', async () => {
    const good = Array.from({ length: 8 }, (_, i) => v2('lut', goodIndices(i)));
    const bad = postJson(`${server.url}/v1/models/lut:predict`, { instances: [BAD_INDICES] });
    const answers = await Promise.all(good);
    answers.forEach((r, i) => {
      assert.equal(r.status, 200, `valid request ${i}: ${r.text}`);
      assert.deepEqual(inferBody(r).outputs[0].data, expected(goodIndices(i)), `valid request ${i}'s own values`);
    });
    const rejected: HttpResult = await bad;
    assert.equal(rejected.status, 400, rejected.text);
    assertRejectedInput(errorMessage(rejected));

    assert.deepEqual(await slo('lut'), { total: 9, good: 9 }, 'the rejected input does not spend the error budget');
    assert.equal(await metricValue(server, 'inferd_requests_total', { model: 'lut', outcome: 'error' }), 0);
    assert.equal(await metricValue(server, 'inferd_requests_total', { model: 'lut', outcome: 'bad_input' }), 1);
    assert.equal(await metricValue(server, 'inferd_requests_total', { model: 'lut', outcome: 'success' }), 8);
    assert.equal(await metricValue(server, 'inferd_batch_isolations_total', { model: 'lut' }), 1);
    const runs = await metricValue(server, 'inferd_batch_isolation_runs_total', { model: 'lut' });
    assert.ok(
      runs >= 2 && runs <= 2 * Math.ceil(Math.log2(9)),
      `${runs} further runtime calls to find one bad request among 9`,
    );
  });

  it('over gRPC: the 8 valid ones are answered, the bad one fails with INVALID_ARGUMENT and the reason', async () => {
    const client = connect(server.grpcUrl!);
    try {
      const infer = (indices: readonly number[]) =>
        client.call<{ raw_output_contents: Buffer[] }>('ModelInfer', {
          model_name: 'lut_grpc',
          inputs: [{ name: 'index', datatype: 'INT64', shape: [1, 4] }],
          raw_input_contents: [rawBytes(BigInt64Array.from(indices.map(BigInt)))],
        });
      const good = Array.from({ length: 8 }, (_, i) => infer(goodIndices(i)));
      const bad = infer(BAD_INDICES).then(
        () => assert.fail('the bad row was answered'),
        (e: ServiceError) => e,
      );
      const answers = await Promise.all(good);
      answers.forEach((r, i) =>
        assert.deepEqual(asFloat32(r.raw_output_contents[0]), expected(goodIndices(i)), `valid request ${i}`),
      );
      const err = await bad;
      assert.equal(err.code, status.INVALID_ARGUMENT, err.message);
      assertRejectedInput(err.details);
    } finally {
      client.close();
    }
    assert.deepEqual(await slo('lut_grpc'), { total: 9, good: 9 });
  });

  it("behind a breaker: the bad row is answered by the fallback, the breaker stays closed, the next batch is the model's", async () => {
    const first = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => v2('lut_guarded', goodIndices(i))),
      v2('lut_guarded', BAD_INDICES),
    ]);
    const flags = first.map(
      (r) => (r.json as { parameters?: { fallback_reason?: string } }).parameters?.fallback_reason ?? 'model',
    );
    assert.deepEqual(flags, [...Array<string>(8).fill('model'), 'error'], 'only the bad row needed the fallback');
    assert.equal(
      await metricValue(server, 'inferd_model_breaker_state', { model: 'lut_guarded' }),
      0,
      'the breaker stayed closed',
    );
    const next = await Promise.all(Array.from({ length: 9 }, (_, i) => v2('lut_guarded', goodIndices(i + 1))));
    next.forEach((r, i) => {
      assert.equal(
        (r.json as { parameters?: { fallback?: boolean } }).parameters?.fallback,
        undefined,
        `request ${i} was answered by the model`,
      );
      assert.deepEqual(inferBody(r).outputs[0].data, expected(goodIndices(i + 1)));
    });
  });
});

describe("failures that are the model's", () => {
  it('a model that fails every input answers all 9 requests of a batch 500, counted against its SLO', async () => {
    const answers = await Promise.all(Array.from({ length: 9 }, (_, i) => v2('lut_broken', goodIndices(i))));
    for (const r of answers) {
      assert.equal(r.status, 500, r.text);
      assert.match(errorMessage(r), /indices element out of data bounds, idx=100\d/);
    }
    assert.deepEqual(await slo('lut_broken'), { total: 9, good: 0 });
    assert.equal(await metricValue(server, 'inferd_requests_total', { model: 'lut_broken', outcome: 'error' }), 9);
  });

  it('a bad row run in a call of its own, with nothing to compare it with, is answered 500 and counted', async () => {
    const r = await v2('lut_lone', BAD_INDICES);
    assert.equal(r.status, 500, r.text);
    assert.deepEqual(await slo('lut_lone'), { total: 1, good: 0 });
  });
});
