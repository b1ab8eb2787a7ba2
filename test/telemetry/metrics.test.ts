import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { startTestServer } from '../helpers/server.js';

test('/metrics on its own port reports per-model counts and event-loop delay', async () => {
  const server = await startTestServer();
  try {
    assert.ok(server.metricsUrl && !server.metricsUrl.startsWith(server.url), 'metrics listen on a port of their own');
    const body = readFileSync('examples/digits-request.json', 'utf8');
    for (let i = 0; i < 3; i++)
      assert.equal((await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body })).status, 200);
    const text = await (await fetch(server.metricsUrl)).text();
    assert.match(text, /^inferd_inference_success_total\{model="digits",version="1"\} 3$/m);
    assert.match(text, /^inferd_inference_rows_total\{model="digits",version="1"\} 3$/m);
    assert.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m);
    assert.match(text, /^inferd_queue_depth\{model="digits",version="1"\} 0$/m);
  } finally {
    await server.close();
  }
});

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

test('request metrics after known traffic: outcomes, latency and stage histograms, batch sizes', async () => {
  const server = await startTestServer({ config: { cost_per_cpu_second: 0.00005 } });
  try {
    const good = readFileSync('examples/digits-request.json', 'utf8');
    const bad = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] });
    const sentAt = performance.now();
    for (let i = 0; i < 5; i++)
      assert.equal((await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body: good })).status, 200);
    for (let i = 0; i < 2; i++)
      assert.equal((await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body: bad })).status, 400);
    const clientSeconds = (performance.now() - sentAt) / 1000;
    const twoRows = readFileSync('examples/breast-cancer-request.json', 'utf8');
    assert.equal(
      (await fetch(`${server.url}/v2/models/breast_cancer/infer`, { method: 'POST', body: twoRows })).status,
      200,
    );
    const text = await (await fetch(server.metricsUrl!)).text();
    const digits = { model: 'digits', version: '1' };
    assert.equal(sample(text, 'inferd_requests_total', { ...digits, protocol: 'http', outcome: 'success' }), 5);
    assert.equal(sample(text, 'inferd_requests_total', { ...digits, protocol: 'http', outcome: 'client_error' }), 2);
    assert.equal(sample(text, 'inferd_request_duration_seconds_count', { ...digits, protocol: 'http' }), 7);
    assert.equal(
      sample(text, 'inferd_request_duration_seconds_bucket', { ...digits, protocol: 'http', le: '+Inf' }),
      7,
    );
    assert.equal(sample(text, 'inferd_stage_duration_seconds_count', { ...digits, stage: 'compute' }), 5);
    assert.equal(sample(text, 'inferd_stage_duration_seconds_count', { ...digits, stage: 'queue' }), 5);
    assert.equal(sample(text, 'inferd_batch_size_count', digits), 5);
    assert.equal(sample(text, 'inferd_batch_size_sum', digits), 5);
    assert.equal(sample(text, 'inferd_batch_size_sum', { model: 'breast_cancer', version: '1' }), 2);
    assert.equal(sample(text, 'inferd_batch_size_bucket', { model: 'breast_cancer', version: '1', le: '1' }), 0);
    assert.equal(sample(text, 'inferd_batch_size_bucket', { model: 'breast_cancer', version: '1', le: '2' }), 1);
    assert.equal(sample(text, 'inferd_cold_starts_total', digits), 1);
    assert.equal(sample(text, 'inferd_inflight_requests', {}), 0);
    assert.ok((sample(text, 'inferd_model_load_seconds', digits) ?? 0) > 0);
    assert.ok((sample(text, 'inferd_cost_per_1k_inferences', { model: 'digits' }) ?? 0) > 0);
    const sum = sample(text, 'inferd_request_duration_seconds_sum', { ...digits, protocol: 'http' }) ?? 0;
    // One request at a time: the server's durations fit inside the time the client spent on them, however slow.
    assert.ok(sum > 0 && sum <= clientSeconds, `latency sum ${sum} s within the client's ${clientSeconds} s`);
  } finally {
    await server.close();
  }
});
