/**
 * What the end-to-end fuzzing of the control endpoints found, kept as regressions: a report asked of a model with
 * no ready version (explicitly unloaded, or its load refused) is a 4xx saying why, never a 503 as if the server
 * were failing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { call, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { startTestServer } from '../helpers/server.js';

describe('reports of a model with no ready version', () => {
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
  let server: RunningServer;

  before(async () => {
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: -1, metrics_port: -1, model_control_mode: 'explicit', load_models: ['digits'] },
    });
  });
  after(async () => {
    await server?.close();
    repo.cleanup();
  });

  test('GET /v1/models/{m}/drift after the model was unloaded answers 404 naming why, not 503', async () => {
    assert.equal((await call(`${server.url}/v2/repository/models/digits/unload`, { body: {} })).status, 200);
    const drift = await call<{ error: string }>(`${server.url}/v1/models/digits/drift`);
    assert.equal(drift.status, 404, JSON.stringify(drift.body));
    assert.match(drift.body.error, /model 'digits' has no ready version/);
  });
});
