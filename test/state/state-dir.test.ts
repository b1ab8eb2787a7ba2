/**
 * Model state outside the model repository: a started server is used (a rollout started, traffic changed,
 * predictions logged, feedback posted) and stopped; every file and folder of the repository (path, size, mtime,
 * content) is the same afterwards, the state is in the state directory, and it is all there after a restart.
 * A state directory that cannot be created (a path under a regular file) keeps rollouts in memory with a warning
 * saying what, where and what to do, and stops a start whose prediction log defaults to it. A rollout store left
 * in the repository by an earlier version is copied to the state directory, the repository only read.
 *
 * The tests run as root, so a chmod would not stop a write: "read-only" is checked as "nothing under the
 * repository changed", which is stricter.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { resolveServerConfig, type RunningServer } from '../../src/index.js';
import { repositoryKey, resolveStateDir } from '../../src/config/state-dir.js';
import { ConfigError } from '../../src/errors/index.js';
import { get, MODELS_DIR, postJson, ROOT, startTestServer, type ServerConfigFields } from '../helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { digitsBody, MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';

const REPO_CONFIG = 'version_policy: all\nmax_batch_size: 8\ntraffic: { weights: { 1: 100 } }\n';
const ROLLOUT = {
  candidate: 2,
  steps: [20, 50, 100],
  interval_ms: 3_600_000, // never steps during the test: the state asserted is the one the API calls left
  checks: { error_rate: { max_increase: 0.05, min_samples: 10 } },
};

const FRAUD_REQUEST = join(ROOT, 'examples', 'fraud-request.json');
const scratch = mkdtempSync(join(tmpdir(), 'inferd-state-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Every entry under `dir`: relative path, kind, size, mtime and (files) a sha256 of the content. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const s = lstatSync(path);
      const kind = s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
      const hash = s.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : '';
      out.set(relative(dir, path), `${kind} ${s.size} ${s.mtimeMs} ${s.mode} ${hash}`);
      if (s.isDirectory()) walk(path);
    }
  };
  out.set('.', `${lstatSync(dir).mtimeMs}`);
  walk(dir);
  return out;
}

function digitsRepo() {
  return tempRepo({ digits: { versions: { 1: MODELS.digits, 2: MODELS.retrained }, config: REPO_CONFIG } });
}

function serve(repository: string, config: ServerConfigFields, logs?: string[]): Promise<RunningServer> {
  return startTestServer({
    repository,
    strictReadiness: false,
    config: { grpc_port: -1, metrics_port: -1, ...config },
    ...(logs ? { logs, logLevel: 'info' as const } : {}),
  });
}

interface RolloutJson {
  id: string;
  status: string;
  weight: number;
}

/** Request ids in the prediction log, sorted. */
async function loggedIds(url: string): Promise<string[]> {
  const r = await get(`${url}/v1/predictions?model=digits&limit=100`);
  assert.equal(r.status, 200, r.text);
  return (r.json as { predictions: Array<{ request_id: string }> }).predictions.map((p) => p.request_id).sort();
}

async function weights(url: string): Promise<unknown> {
  const r = await get(`${url}/v1/models/digits/traffic`);
  assert.equal(r.status, 200, r.text);
  return (r.json as { weights: unknown }).weights;
}

describe('state directory', () => {
  test('a used server writes nothing into the repository; its state is in the state dir and survives a restart', async () => {
    const repo = digitsRepo();
    const stateDir = join(scratch, 'used', 'state'); // created by the server
    const config: ServerConfigFields = { state_dir: stateDir, audit: { enabled: true } };
    const before = snapshot(repo.dir);
    let server: RunningServer | undefined;
    try {
      server = await serve(repo.dir, config);
      // Traffic changed by hand, then a rollout started from it, and predictions with feedback on them.
      const traffic = await postJson(`${server.url}/v1/models/digits/traffic`, { weights: { 1: 90, 2: 10 } });
      assert.equal(traffic.status, 200, traffic.text);
      const rollout = await postJson(`${server.url}/v1/models/digits/rollouts`, ROLLOUT);
      assert.equal(rollout.status, 201, rollout.text);
      const id = (rollout.json as RolloutJson).id;
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const body = JSON.parse(digitsBody(i)) as Record<string, unknown>;
        const r = await postJson(`${server.url}/v2/models/digits/infer`, { ...body, id: `state-${i}` });
        assert.equal(r.status, 200, r.text);
        ids.push(`state-${i}`);
      }
      // The prediction log is written behind the answers: feedback joins once the records are committed.
      const url = server.url;
      await waitFor(async () => (await loggedIds(url)).length === ids.length, 'the four predictions in the log');
      const fed = await postJson(`${server.url}/v1/feedback`, { feedback: ids.map((i) => ({ id: i, label: 3 })) });
      assert.equal(fed.status, 200, fed.text);
      assert.equal((fed.json as { accepted: number }).accepted, ids.length, fed.text);
      await server.close();
      server = undefined;

      assert.deepEqual(snapshot(repo.dir), before, 'nothing under the repository changed');
      assert.ok(existsSync(join(stateDir, 'rollouts.db')), 'the rollout store is in the state directory');
      assert.ok(existsSync(join(stateDir, 'audit.db')), 'the prediction log is in the state directory');

      server = await serve(repo.dir, config);
      const kept = await get(`${server.url}/v1/models/digits/rollouts/${id}`);
      assert.equal(kept.status, 200, kept.text);
      assert.equal((kept.json as RolloutJson).status, 'progressing');
      assert.deepEqual(await weights(server.url), { 1: 80, 2: 20 }, 'the rollout’s first step, as left');
      assert.deepEqual(await loggedIds(server.url), ids);
      const again = await postJson(`${server.url}/v1/feedback`, { feedback: [{ id: ids[0], label: 3 }] });
      assert.equal(again.status, 200, again.text);
      assert.equal((again.json as { duplicate?: number }).duplicate, 1, `the label survived: ${again.text}`);
      await server.close();
      server = undefined;
      assert.deepEqual(snapshot(repo.dir), before, 'nor after the restart');
    } finally {
      await server?.close();
      repo.cleanup();
    }
  });

  test('the example repository, features and all, is only read: its SQLite feature store is in the state dir', async () => {
    // A copy in a folder of its own: earlier versions put the feature store beside the repository (../.inferd).
    const parent = join(scratch, 'example');
    cpSync(MODELS_DIR, join(parent, 'models'), { recursive: true });
    const stateDir = join(scratch, 'example-state');
    const before = snapshot(parent);
    let server: RunningServer | undefined;
    try {
      server = await serve(join(parent, 'models'), { state_dir: stateDir });
      const r = await postJson(
        `${server.url}/v2/models/fraud_xgb/infer`,
        JSON.parse(readFileSync(FRAUD_REQUEST, 'utf8')),
      );
      assert.equal(r.status, 200, r.text);
      await server.close();
      server = undefined;
      assert.deepEqual(snapshot(parent), before, 'nothing under or beside the repository changed');
      assert.ok(existsSync(join(stateDir, 'features.sqlite')), 'the feature store is in the state directory');
    } finally {
      await server?.close();
    }
  });

  test('the default state dir is per repository, under XDG_STATE_HOME, and never inside the repository', () => {
    const repo = digitsRepo();
    try {
      const key = repositoryKey(repo.dir);
      assert.match(key, /^inferd-lifecycle-[A-Za-z0-9]+-[0-9a-f]{8}$/);
      const env = { XDG_STATE_HOME: '/srv/state', HOME: '/home/x' };
      assert.equal(resolveStateDir(undefined, repo.dir, env).path, join('/srv/state', 'inferd', key));
      assert.equal(
        resolveStateDir(undefined, repo.dir, { HOME: '/home/x', XDG_STATE_HOME: 'relative' }).path.endsWith(
          join('.local', 'state', 'inferd', key),
        ),
        true,
        'a relative XDG_STATE_HOME is ignored, as the specification says',
      );
      assert.notEqual(key, repositoryKey(join(repo.dir, 'digits')), 'two repositories, two directories');
      const config = resolveServerConfig({ model_repository: repo.dir });
      assert.equal(config.stateDir.source, 'default');
      const sqlitePath = (c: typeof config) => (c.state.store === 'sqlite' ? c.state.path : c.state.store);
      assert.equal(sqlitePath(config), join(config.stateDir.path, 'rollouts.db'));
      // (The prediction log's default may be an earlier version's data/audit.db in the working directory here.)
      assert.ok([join(config.stateDir.path, 'audit.db'), 'data/audit.db'].includes(config.audit.path));
      assert.equal(sqlitePath(config).startsWith(repo.dir), false);
      // Explicit paths still win; the state dir comes from the flag layer over the environment layer.
      const explicit = resolveServerConfig(
        { model_repository: repo.dir, state_dir: '/from/file', state: { path: '/x/r.db' } },
        { state_dir: '/from/env' },
      );
      assert.deepEqual(
        [explicit.stateDir, sqlitePath(explicit), explicit.audit.path],
        [{ path: '/from/env', source: 'configured' }, '/x/r.db', join('/from/env', 'audit.db')],
      );
    } finally {
      repo.cleanup();
    }
  });

  test('an earlier version’s data/audit.db stays in use with the default state dir, not with one set on purpose', () => {
    const cwd = join(scratch, 'old-cwd');
    mkdirSync(join(cwd, 'data'), { recursive: true });
    writeFileSync(join(cwd, 'data', 'audit.db'), '');
    const here = process.cwd();
    process.chdir(cwd); // synchronous: nothing else in this process runs meanwhile
    try {
      const repo = join(scratch, 'no-such-repo');
      const old = resolveServerConfig({ model_repository: repo, audit: { enabled: true } }).audit;
      assert.deepEqual([old.path, old.pathSource], [join('data', 'audit.db'), 'legacy']);
      const chosen = resolveServerConfig({ model_repository: repo, state_dir: '/srv/s', audit: { enabled: true } });
      assert.deepEqual([chosen.audit.path, chosen.audit.pathSource], ['/srv/s/audit.db', 'state_dir']);
    } finally {
      process.chdir(here);
    }
  });

  test('a state dir that cannot be created keeps rollouts in memory and says what to do', async () => {
    const repo = digitsRepo();
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a folder\n');
    const stateDir = join(file, 'state');
    const logs: string[] = [];
    const before = snapshot(repo.dir);
    let server: RunningServer | undefined;
    try {
      server = await serve(repo.dir, { state_dir: stateDir }, logs);
      const warnings = logs.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
      const said = warnings.map((w) => w.msg).join('\n');
      assert.match(
        said,
        new RegExp(`the state directory ${stateDir} \\(state_dir\\) cannot be created or written \\(`),
      );
      assert.match(said, /--state-dir DIR, INFERD_STATE_DIR or state_dir/);
      assert.match(said, /rollout state is kept in memory only and will not survive a restart/);
      // Still serving, with rollouts in memory.
      const r = await postJson(`${server.url}/v1/models/digits/rollouts`, ROLLOUT);
      assert.equal(r.status, 201, r.text);
      await server.close();
      server = undefined;
      assert.deepEqual(snapshot(repo.dir), before);
      assert.equal(readFileSync(file, 'utf8'), 'not a folder\n');

      // The prediction log is not optional once enabled: the start stops, saying the same and naming audit.path.
      const err = await serve(repo.dir, { state_dir: stateDir, audit: { enabled: true } }).then(
        (s) => (server = s),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, /audit\.enabled is true and the prediction log defaults to audit\.db in the state dir/);
      assert.match(err.message, new RegExp(`${stateDir} \\(state_dir\\) cannot be created or written`));
      assert.match(err.message, /or set audit\.path/);
    } finally {
      await server?.close();
      repo.cleanup();
    }
  });

  test('a rollout store an earlier version left in the repository is copied to the state dir, the repository only read', async () => {
    const repo = digitsRepo();
    const legacy = join(repo.dir, '.inferd', 'rollouts.db');
    let server: RunningServer | undefined;
    try {
      // An earlier version's default, as a configured path.
      server = await serve(repo.dir, { rollouts: { path: legacy } });
      const started = await postJson(`${server.url}/v1/models/digits/rollouts`, ROLLOUT);
      assert.equal(started.status, 201, started.text);
      const id = (started.json as RolloutJson).id;
      await server.close();
      server = undefined;
      const before = snapshot(repo.dir);

      const stateDir = join(scratch, 'adopted');
      const logs: string[] = [];
      server = await serve(repo.dir, { state_dir: stateDir }, logs);
      const kept = await get(`${server.url}/v1/models/digits/rollouts/${id}`);
      assert.equal(kept.status, 200, kept.text);
      assert.match(logs.join(''), /rollout state copied from the model repository to the state directory/);
      // A change now goes to the state directory only.
      assert.equal((await postJson(`${server.url}/v1/models/digits/rollouts/${id}/abort`, {})).status, 200);
      await server.close();
      server = undefined;
      assert.deepEqual(snapshot(repo.dir), before, 'the old store was read, not written');

      server = await serve(repo.dir, { state_dir: stateDir });
      const aborted = await get(`${server.url}/v1/models/digits/rollouts/${id}`);
      assert.equal((aborted.json as RolloutJson).status, 'aborted', 'the copy is the store now, not the old file');
    } finally {
      await server?.close();
      repo.cleanup();
    }
  });
});
