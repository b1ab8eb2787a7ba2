/**
 * The adaptive in-flight limit over a real server: digits_slow takes far longer than a 1 ms latency target, so every
 * completed request cuts the limit (backoff 0.5) until it sits at min_limit 1; then while one request computes,
 * two more are refused at once with 503 `adaptive_limit`, visible in /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { type HttpResult, postJson, startTestServer, tempRepository, type TempRepository } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { metricValue } from './metrics.js';

let repo: TempRepository;
let server: RunningServer;

before(async () => {
  repo = await tempRepository({
    slow: {
      onnx: 'digits_slow.onnx',
      config: {
        file: 'config.yaml',
        text: 'dynamic_batching: false\nwarmup: false\nadaptive_concurrency: { target_latency_ms: 1, initial_limit: 4, min_limit: 1, max_limit: 4, backoff_ratio: 0.5 }\n',
      },
    },
  });
  server = await startTestServer({ repository: repo.dir, config: { grpc_port: -1 } });
});

after(async () => {
  await server?.close();
  await repo?.cleanup();
});

const infer = () =>
  postJson(`${server.url}/v2/models/slow/infer`, {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(1) }],
  });

it('slow answers cut the limit to min_limit; beyond it requests are refused at once', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 3; i++) assert.equal((await infer()).status, 200);
  assert.equal(await metricValue(server, 'inferd_concurrency_limit', { model: 'slow' }), 1, 'cut 4 → 2 → 1');
  // One request computing (seen on the scheduler's counters, a latch rather than a hope that three concurrent
  // requests overlap), then two more: both are over the limit. Should the first finish before the two arrive (a
  // stalled machine), the three are tried again; a limit that is not enforced fails every try.
  const inFlight = () => server.inferd.service.statistics('slow')[0].inFlight;
  let refusedTotal = 0;
  let statuses: number[] = [];
  let refused: HttpResult[] = [];
  for (let attempt = 0; attempt < 5 && !(statuses.length && statuses.every((s) => s === 503)); attempt++) {
    let firstDone = false;
    const first = infer().finally(() => (firstDone = true));
    await waitFor(() => firstDone || inFlight() === 1, 'a request to slow computing');
    const others = await Promise.all([infer(), infer()]);
    assert.equal((await first).status, 200);
    statuses = others.map((r) => r.status);
    refused = others.filter((r) => r.status === 503);
    refusedTotal += refused.length;
  }
  assert.deepEqual(statuses, [503, 503]);
  assert.ok(
    refused.every((r) => /adaptive limit/.test(r.text) && r.headers.get('retry-after') === '1'),
    refused[0]?.text,
  );
  assert.equal(
    await metricValue(server, 'inferd_shed_total', { model: 'slow', reason: 'adaptive_limit' }),
    refusedTotal,
  );
});
