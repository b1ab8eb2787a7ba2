import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { resolveServerConfig, startServer } from '../../src/index.js';

test('/metrics on its own port reports per-model counts and event-loop delay', async () => {
  const server = await startServer(resolveServerConfig({ model_repository: 'models', http_port: 0, log_level: 'silent' }));
  try {
    assert.ok(server.metricsUrl && !server.metricsUrl.startsWith(server.url), 'metrics listen on a port of their own');
    const body = readFileSync('examples/digits-request.json', 'utf8');
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${server.url}/v2/models/digits/infer`, { method: 'POST', body })).status, 200);
    const text = await (await fetch(server.metricsUrl)).text();
    assert.match(text, /^inferd_inference_success_total\{model="digits",version="1"\} 3$/m);
    assert.match(text, /^inferd_inference_rows_total\{model="digits",version="1"\} 3$/m);
    assert.match(text, /^nodejs_eventloop_lag_p99_seconds \d/m);
    assert.match(text, /^inferd_queue_depth\{model="digits",version="1"\} 0$/m);
  } finally {
    await server.close();
  }
});
