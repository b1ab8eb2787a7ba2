/**
 * A load request for a model that is not in the repository is refused and leaves nothing behind: the repository
 * index (POST /v2/repository/index, `inferd models list`) does not list it afterwards. A real model that fails to
 * load stays listed, UNAVAILABLE with its reason, as Triton does; a model named at start that is missing stays
 * listed too (the operator asked for it, and readiness says so).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { runCli, shown } from '../cli/cli-helpers.js';
import { call, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { startTestServer } from '../helpers/server.js';

interface IndexRow {
  name: string;
  version?: string;
  state: string;
  reason?: string;
}

describe('loading a model that is not in the repository', () => {
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } }, broken: { versions: { 1: MODELS.corrupt } } });
  let server: RunningServer;
  const index = async () => (await call<IndexRow[]>(`${server.url}/v2/repository/index`, { body: {} })).body;

  before(async () => {
    server = await startTestServer({
      repository: repo.dir,
      config: {
        grpc_port: -1,
        metrics_port: -1,
        model_control_mode: 'explicit',
        load_models: ['digits', 'absent'],
        strict_readiness: false,
      },
    });
  });
  after(async () => {
    await server?.close();
    repo.cleanup();
  });

  test('over HTTP: refused with 400 naming the model, and no row for it in the index', async () => {
    const before = await index();
    const refused = await call<{ error: string }>(`${server.url}/v2/repository/models/nope/load`, { body: {} });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error, /model 'nope' is not in the repository/);
    const after = await index();
    assert.equal(
      after.find((r) => r.name === 'nope'),
      undefined,
      JSON.stringify(after),
    );
    assert.deepEqual(after, before, 'a refused load changes nothing');
  });

  test('with the CLI: models load nope exits 1 with the reason; models list does not show it', async () => {
    const url = ['--url', server.url];
    const refused = await runCli(['models', 'load', 'nope', ...url]);
    assert.equal(refused.code, 1, shown(refused));
    assert.match(refused.stderr, /^inferd models: server answered 400: model 'nope' is not in the repository/);
    const listed = await runCli(['models', 'list', ...url]);
    assert.equal(listed.code, 0, shown(listed));
    assert.doesNotMatch(listed.stdout, /^nope\b/m, listed.stdout);
    assert.match(listed.stdout, /^digits\s+1\s+READY$/m);
  });

  test('a real model that fails to load stays listed, UNAVAILABLE with its reason', async () => {
    const refused = await call<{ error: string }>(`${server.url}/v2/repository/models/broken/load`, { body: {} });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    const rows = (await index()).filter((r) => r.name === 'broken');
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.deepEqual([rows[0].version, rows[0].state], ['1', 'UNAVAILABLE']);
    assert.ok(rows[0].reason && rows[0].reason.length > 0, 'the reason is kept');
  });

  test('a model named at start that is missing stays listed with the reason', async () => {
    const rows = (await index()).filter((r) => r.name === 'absent');
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0].state, 'UNAVAILABLE');
    assert.match(rows[0].reason ?? '', /model 'absent' is not in the repository/);
  });
});
