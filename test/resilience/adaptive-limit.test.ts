/**
 * The adaptive in-flight limit over a real server: digits_slow takes far longer than a 1 ms latency target, so every
 * completed request cuts the limit (backoff 0.5) until it sits at min_limit 1; then of three concurrent requests one
 * is admitted and the others are refused at once with 503 `adaptive_limit`, visible in /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { resolveServerConfig, startServer, type RunningServer } from '../../src/index.js';
import { postJson, tempRepository, type TempRepository } from '../helpers/server.js';
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
  server = await startServer(resolveServerConfig({ model_repository: repo.dir, http_port: 0, grpc_port: -1, log_level: 'silent' }));
});

after(async () => {
  await server?.close();
  await repo?.cleanup();
});

const infer = () => postJson(`${server.url}/v2/models/slow/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(1) }] });

it('slow answers cut the limit to min_limit; beyond it requests are refused at once', { timeout: 60_000 }, async (t) => {
  for (let i = 0; i < 3; i++) assert.equal((await infer()).status, 200);
  assert.equal(await metricValue(server, 'inferd_concurrency_limit', { model: 'slow' }), 1, 'cut 4 → 2 → 1');
  const started = performance.now();
  const results = await Promise.all([infer(), infer(), infer()].map(async (p) => ({ r: await p, ms: performance.now() - started })));
  const statuses = results.map((x) => x.r.status).sort();
  assert.deepEqual(statuses, [200, 503, 503]);
  const refused = results.filter((x) => x.r.status === 503);
  assert.ok(refused.every((x) => /adaptive limit/.test(x.r.text) && x.r.headers.get('retry-after') === '1'), refused[0]?.r.text);
  t.diagnostic(`refusals answered in ${refused.map((x) => x.ms.toFixed(1)).join(', ')} ms; the admitted request in ${results.find((x) => x.r.status === 200)!.ms.toFixed(1)} ms`);
  assert.equal(await metricValue(server, 'inferd_shed_total', { model: 'slow', reason: 'adaptive_limit' }), 2);
});
