/**
 * Cost per inference over a started server: CPU seconds by stage per model, version and path in the statistics
 * endpoint and /metrics, priced at the configured core-hour, and adding up to no more than the process used.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postJson, startTestServer } from '../helpers/server.js';

interface CostJson {
  path: string;
  requests: number;
  cpu_seconds: Record<string, number>;
  cpu_seconds_per_request: number;
  cost_per_1k: number;
}

test('CPU seconds by stage and cost per 1,000 per path, in the statistics endpoint and metrics', async () => {
  const server = await startTestServer({ config: { cost_per_core_hour: 3.6 } });
  try {
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(2) }] };
    for (let i = 0; i < 50; i++) {
      const r = await postJson(`${server.url}/v2/models/digits/infer`, body);
      assert.equal(r.status, 200, r.text);
    }
    const stats = (await (await fetch(`${server.url}/v2/models/digits/stats`)).json()) as {
      model_stats: Array<{ cost?: CostJson[] }>;
    };
    const http = stats.model_stats[0].cost?.find((c) => c.path === 'http');
    assert.ok(http, 'the http path is reported');
    assert.equal(http.requests, 50);
    for (const stage of ['decode', 'compute', 'encode', 'other'])
      assert.ok(http.cpu_seconds[stage] > 0, `${stage} is measured: ${JSON.stringify(http.cpu_seconds)}`);
    const cpu = Object.values(http.cpu_seconds).reduce((n, s) => n + s, 0);
    assert.ok(Math.abs(http.cpu_seconds_per_request - cpu / 50) < 1e-12);
    assert.ok(Math.abs(http.cost_per_1k - (http.cpu_seconds_per_request * 1000 * 3.6) / 3600) < 1e-12);
    const used = process.cpuUsage();
    assert.ok(cpu <= (used.user + used.system) / 1e6, 'no more than the process used');
    const metrics = await (await fetch(server.metricsUrl!)).text();
    assert.match(
      metrics,
      /inferd_request_cpu_seconds_total\{model="digits",version="1",path="http",stage="compute"\} [0-9.e-]+/,
    );
    assert.match(metrics, /inferd_request_cost_per_1k\{model="digits",version="1",path="http"\} [0-9.e-]+/);
    assert.match(metrics, /inferd_unattributed_cpu_seconds_total [0-9.e-]+/);
  } finally {
    await server.close();
  }
});
