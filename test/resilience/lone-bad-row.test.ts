/**
 * A bad row with no batching company: lut_gather (scripts/fixtures/make_bad_row_models.py) fails a whole runtime
 * call on an index past its 10-entry table. When a request runs alone in its call (or every request of its batch
 * fails on its own), bisection has no other answered request to compare it with; the server runs a request the
 * model answered before, on the same instance, right after. It is answered, so the model works: the bad row gets
 * 400 / bad_input, not counted against the SLO, like a bad row isolated from a batch. With nothing answered before
 * there is nothing to compare with, and the failure stays the model's (test/resilience/bad-row-isolation.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import {
  errorMessage,
  get,
  inferBody,
  postJson,
  startTestServer,
  tempRepository,
  type TempRepository,
} from '../helpers/server.js';
import { metricValue } from './metrics.js';

const SLO = 'slo: { availability: 0.99 }\n';
/** Two requests are joined into one call deterministically (a preferred batch of 2, waiting up to a minute for it). */
const BATCH_OF_2 =
  'max_batch_size: 16\ndynamic_batching: { preferred_batch_size: [2], max_queue_delay_microseconds: 60000000 }\n';

let repo: TempRepository;
let server: RunningServer;

before(async () => {
  repo = await tempRepository({
    lut_alone: { onnx: 'lut_gather.onnx', config: { file: 'config.yaml', text: SLO } },
    lut_pairs: { onnx: 'lut_gather.onnx', config: { file: 'config.yaml', text: BATCH_OF_2 + SLO } },
  });
  server = await startTestServer({ repository: repo.dir });
});

after(async () => {
  await server?.close();
  await repo?.cleanup();
});

const GOOD_INDICES = [0, 3, 7, -1];
/** Index 10 is one past the table's end: the call fails. */
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

describe('a bad row with no batching company, after the model has answered', () => {
  it("sent alone: 400 / input_rejected naming the runtime's reason, outcome bad_input, not counted against the SLO", async () => {
    assert.deepEqual(inferBody(await v2('lut_alone', GOOD_INDICES)).outputs[0].data, [0.5, 30.5, 70.5, 90.5]);
    const r = await v2('lut_alone', BAD_INDICES);
    assert.equal(r.status, 400, r.text);
    assert.equal((r.json as { code?: string }).code, 'input_rejected');
    const message = errorMessage(r);
    assert.match(
      message,
      /^model 'lut_alone' version 1 rejected this request's input: its run failed, while a request the model answered before was answered when run again on the same instance right after\./,
    );
    assert.match(message, /The runtime said: .*indices element out of data bounds, idx=10/);
    assert.ok(!message.includes(repo.dir), `no path in: ${message}`);
    assert.deepEqual(
      await slo('lut_alone'),
      { total: 2, good: 2 },
      'the rejected input does not spend the error budget',
    );
    assert.equal(await metricValue(server, 'inferd_requests_total', { model: 'lut_alone', outcome: 'bad_input' }), 1);
    assert.equal(await metricValue(server, 'inferd_requests_total', { model: 'lut_alone', outcome: 'error' }), 0);
    assert.equal(
      await metricValue(server, 'inferd_batch_isolation_runs_total', { model: 'lut_alone' }),
      1,
      'one control run',
    );
    // The model keeps answering.
    assert.equal((await v2('lut_alone', GOOD_INDICES)).status, 200);
  });

  it('two bad rows batched only with each other: both 400, not counted against the SLO', async () => {
    const good = await Promise.all([v2('lut_pairs', GOOD_INDICES), v2('lut_pairs', [1, 2, 3, 4])]);
    for (const r of good) assert.equal(r.status, 200, r.text);
    const bad = await Promise.all([v2('lut_pairs', BAD_INDICES), v2('lut_pairs', [10, 11, 12, 13])]);
    for (const r of bad) {
      assert.equal(r.status, 400, r.text);
      assert.match(
        errorMessage(r),
        /its run failed when retried on its own, while a request the model answered before was answered when run again/,
      );
    }
    assert.deepEqual(await slo('lut_pairs'), { total: 4, good: 4 });
    assert.equal(await metricValue(server, 'inferd_requests_total', { model: 'lut_pairs', outcome: 'bad_input' }), 2);
  });
});
