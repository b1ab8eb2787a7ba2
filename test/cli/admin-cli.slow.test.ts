/**
 * `inferd models` and `inferd rollout` against a real server over HTTP: the built CLI spawned as a child process,
 * text and --json output, the server's refusals as non-zero exits with its message, and credentials as the
 * server's auth hook expects them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { hashApiKey } from '../../src/security/api-keys.js';
import { MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';
import { ROOT, startTestServer } from '../helpers/server.js';
import { runCli, shown } from './cli-helpers.js';

const CANCER = join(ROOT, 'models/breast_cancer/1/model.onnx');

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface RolloutJson {
  id: string;
  status: string;
  weight: number;
  step: number;
  candidate: number;
  stable: number;
  events?: Array<{ type: string }>;
}

describe('inferd models and inferd rollout against a running server', () => {
  const repo = tempRepo({
    digits: {
      versions: { 1: MODELS.digits, 2: MODELS.heavy },
      config: 'version_policy: all\ntraffic: { weights: { 1: 100 } }\n',
    },
    cancer: { versions: { 1: CANCER } },
  });
  let server: RunningServer;
  let url: string[];

  before(async () => {
    server = await startTestServer({
      repository: repo.dir,
      config: { grpc_port: -1, metrics_port: -1, model_control_mode: 'explicit', load_models: ['digits'] },
    });
    url = ['--url', server.url];
  });
  after(async () => {
    await server?.close();
    repo.cleanup();
  });

  test('models list, load and unload', async () => {
    const listed = await runCli(['models', 'list', ...url]);
    assert.equal(listed.code, 0, shown(listed));
    assert.match(listed.stdout, /^MODEL\s+VERSION\s+STATE\s+REASON$/m);
    assert.match(listed.stdout, /^cancer\s+-\s+UNAVAILABLE\s+not loaded$/m);
    assert.match(listed.stdout, /^digits\s+1\s+READY$/m);
    assert.match(listed.stdout, /^digits\s+2\s+READY$/m);

    const loaded = await runCli(['models', 'load', 'cancer', ...url]);
    assert.equal(loaded.code, 0, shown(loaded));
    assert.match(loaded.stdout, /^model 'cancer' loaded\n/);
    assert.match(loaded.stdout, /^cancer\s+1\s+READY$/m);
    const ready = await runCli(['models', 'list', '--ready', '--json', ...url]);
    assert.deepEqual(JSON.parse(ready.stdout), [
      { name: 'cancer', version: '1', state: 'READY' },
      { name: 'digits', version: '1', state: 'READY' },
      { name: 'digits', version: '2', state: 'READY' },
    ]);

    const unloaded = await runCli(['models', 'unload', 'cancer', '--json', ...url]);
    assert.equal(unloaded.code, 0, shown(unloaded));
    assert.deepEqual(JSON.parse(unloaded.stdout), {
      model: 'cancer',
      action: 'unload',
      versions: [{ name: 'cancer', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' }],
    });
    const readiness = await fetch(`${server.url}/v2/models/cancer/ready`);
    assert.notEqual(readiness.status, 200, 'an unloaded model is not ready');
  });

  test('a refusal exits 1 with the server message; a command-line mistake exits 2', async () => {
    const missing = await runCli(['models', 'load', 'nope', ...url]);
    assert.equal(missing.code, 1, shown(missing));
    assert.match(missing.stderr, /^inferd models: server answered \d{3}: .*'nope'/);
    const noName = await runCli(['models', 'load', ...url]);
    assert.equal(noName.code, 2, shown(noName));
    assert.match(noName.stderr, /needs a model name/);
    const port = await closedPort();
    const down = await runCli(['models', 'list', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(down.code, 1, shown(down));
    assert.match(
      down.stderr,
      new RegExp(`cannot reach inferd at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\); is the server running\\?`),
    );
    const badVersion = await runCli(['rollout', 'start', 'digits', '--candidate', '9', ...url]);
    assert.equal(badVersion.code, 1, shown(badVersion));
    assert.match(badVersion.stderr, /server answered 404: model 'digits' has no version 9/);
    const badSteps = await runCli(['rollout', 'start', 'digits', '--candidate', '2', '--steps', '50,20', ...url]);
    assert.equal(badSteps.code, 1, shown(badSteps));
    assert.match(badSteps.stderr, /server answered 400: invalid rollout: steps must rise, got \[50, 20\]/);
    const nothingActive = await runCli(['rollout', 'pause', 'digits', ...url]);
    assert.equal(nothingActive.code, 1, shown(nothingActive));
    assert.match(nothingActive.stderr, /model 'digits' has no rollout progressing or paused to pause/);
    for (const command of [['models'], ['rollout'], ['validate']]) {
      const help = await runCli([...command, '--help']);
      assert.equal(help.code, 0, shown(help));
      assert.match(help.stdout, new RegExp(`^Usage: inferd ${command[0]} `));
    }
  });

  test('rollout start, status, pause, resume, promote; then start from a spec file and abort', async () => {
    // A long interval: nothing moves unless an operator says so.
    const started = await runCli([
      'rollout',
      'start',
      'digits',
      '--candidate',
      '2',
      '--steps',
      '20,50,100',
      '--interval',
      '10m',
      '--checks',
      'error_rate,p99_latency',
      '--min-samples',
      '5',
      ...url,
    ]);
    assert.equal(started.code, 0, shown(started));
    assert.match(started.stdout, /^started rollout [0-9a-f-]{36} of model 'digits': PROGRESSING$/m);
    assert.match(started.stdout, /candidate {3}version 2, compared with version 1/);
    assert.match(started.stdout, /steps {7}20% → 50% → 100%, each for 10m/);

    const status = await runCli(['rollout', 'status', 'digits', ...url]);
    assert.equal(status.code, 0, shown(status));
    assert.match(status.stdout, /weight {6}20% to the candidate \(step 1 of 3\)/);
    assert.match(status.stdout, /rollout_started\s+rollout .* started at 20% against version 1/);
    const json = JSON.parse((await runCli(['rollout', 'status', 'digits', '--json', ...url])).stdout) as {
      rollouts: Array<RolloutJson & { checks: Record<string, { min_samples: number }> }>;
    };
    assert.equal(json.rollouts.length, 1);
    const [r] = json.rollouts;
    assert.deepEqual([r.status, r.weight, r.step, r.candidate, r.stable], ['progressing', 20, 0, 2, 1]);
    assert.deepEqual(Object.keys(r.checks), ['error_rate', 'p99_latency']);
    assert.equal(r.checks.error_rate.min_samples, 5);

    const paused = JSON.parse((await runCli(['rollout', 'pause', 'digits', '--json', ...url])).stdout) as RolloutJson;
    assert.deepEqual([paused.id, paused.status, paused.weight], [r.id, 'paused', 20]);
    const again = await runCli(['rollout', 'pause', 'digits', r.id, ...url]);
    assert.equal(again.code, 1, shown(again));
    assert.match(again.stderr, new RegExp(`server answered 400: rollout ${r.id} is paused: it cannot be paused`));
    const resumed = await runCli(['rollout', 'resume', 'digits', ...url]);
    assert.match(resumed.stdout, /: PROGRESSING$/m, shown(resumed));
    const promoted = await runCli(['rollout', 'promote', 'digits', r.id, ...url]);
    assert.equal(promoted.code, 0, shown(promoted));
    assert.match(promoted.stdout, /: SUCCEEDED$/m);
    assert.match(promoted.stdout, /weight {6}100% to the candidate/);
    assert.match(promoted.stdout, /last decision: promote by operator/);

    const dir = mkdtempSync(join(tmpdir(), 'inferd-cli-spec-'));
    try {
      const spec = join(dir, 'rollback.json');
      writeFileSync(
        spec,
        JSON.stringify({
          candidate: 1,
          stable: 2,
          steps: [10, 100],
          interval_ms: 600_000,
          checks: { error_rate: { max_increase: 0.02, min_samples: 30 } },
        }),
      );
      const second = JSON.parse(
        (await runCli(['rollout', 'start', 'digits', '--spec', spec, '--json', ...url])).stdout,
      ) as RolloutJson & { checks: Record<string, unknown> };
      assert.deepEqual([second.candidate, second.stable, second.weight, second.status], [1, 2, 10, 'progressing']);
      assert.deepEqual(second.checks, { error_rate: { max_increase: 0.02, min_samples: 30 } });
      const aborted = await runCli(['rollout', 'abort', 'digits', ...url]);
      assert.equal(aborted.code, 0, shown(aborted));
      assert.match(aborted.stdout, new RegExp(`rollout ${second.id} of model 'digits': ABORTED`));
      const one = JSON.parse(
        (await runCli(['rollout', 'status', 'digits', second.id, '--json', ...url])).stdout,
      ) as RolloutJson;
      assert.deepEqual(
        one.events?.map((e) => e.type),
        ['rollout_started', 'rollout_aborted'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const history = await runCli(['rollout', 'status', 'digits', ...url]);
    assert.match(history.stdout, /all rollouts of 'digits':\nROLLOUT\s+CANDIDATE\s+STABLE\s+STATUS\s+WEIGHT/);
    assert.match(history.stdout, new RegExp(`^${r.id}\\s+2\\s+1\\s+succeeded\\s+100%`, 'm'));
    assert.match(history.stdout, /^\S+\s+1\s+2\s+aborted\s+0%/m);
    const traffic = (await (await fetch(`${server.url}/v1/models/digits/traffic`)).json()) as {
      weights: Record<string, number>;
    };
    assert.deepEqual(traffic.weights, { 1: 0, 2: 100 });
  });
});

describe('management commands with auth on', () => {
  const ADMIN = 'admin-key-0123456789';
  const WEB = 'web-key-0123456789';
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits } } });
  let server: RunningServer;

  before(async () => {
    const keys = join(repo.dir, '..', `${repo.dir.split('/').pop()}-keys.yaml`);
    writeFileSync(
      keys,
      `keys:\n  - {name: ops, tenant: acme, sha256: ${hashApiKey(ADMIN)}, scopes: ['admin', 'infer:*']}\n  - {name: web, tenant: acme, sha256: ${hashApiKey(WEB)}, scopes: ['infer:digits']}\n`,
    );
    server = await startTestServer({
      repository: repo.dir,
      config: {
        grpc_port: -1,
        metrics_port: -1,
        model_control_mode: 'explicit',
        load_models: ['digits'],
        auth: { enabled: true, api_keys_file: keys },
      },
    });
  });
  after(async () => {
    await server?.close();
    repo.cleanup();
    rmSync(join(repo.dir, '..', `${repo.dir.split('/').pop()}-keys.yaml`), { force: true });
  });

  test('credentials go as x-api-key or a bearer token; a missing or weak one is refused with the reason', async () => {
    const url = ['--url', server.url];
    const none = await runCli(['models', 'unload', 'digits', ...url]);
    assert.equal(none.code, 1, shown(none));
    assert.match(
      none.stderr,
      /server answered 401: no credentials: .*\(pass --api-key KEY or --token TOKEN, or set INFERD_API_KEY\)/,
    );
    const weak = await runCli(['models', 'unload', 'digits', '--api-key', WEB, ...url]);
    assert.equal(weak.code, 1, shown(weak));
    assert.match(weak.stderr, /server answered 403: the credentials of 'web' lack the scope 'admin'/);
    const byFlag = await runCli(['models', 'list', '--api-key', ADMIN, ...url]);
    assert.equal(byFlag.code, 0, shown(byFlag));
    const byToken = await runCli(['rollout', 'status', 'digits', '--token', ADMIN, ...url]);
    assert.equal(byToken.code, 0, shown(byToken));
    assert.match(byToken.stdout, /model 'digits' has no rollouts/);
    const byEnv = await runCli(['models', 'unload', 'digits'], { INFERD_URL: server.url, INFERD_API_KEY: ADMIN });
    assert.equal(byEnv.code, 0, shown(byEnv));
    assert.match(byEnv.stdout, /model 'digits' unloaded/);
  });
});
