import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFromEnv, resolveServerConfig } from './server-config.js';

const repo = { model_repository: '/srv/models', state_dir: '/var/lib/inferd' };

test('the state store defaults to SQLite in the state directory, never in the model repository', () => {
  assert.deepEqual(resolveServerConfig(repo).state, {
    store: 'sqlite',
    path: '/var/lib/inferd/rollouts.db',
    defaultPath: true,
    legacyPath: '/srv/models/.inferd/rollouts.db',
  });
});

test('state: postgres takes a URL and a schema; the location it logs has no password', () => {
  const state = resolveServerConfig({
    ...repo,
    state: { store: 'postgres', url: 'postgres://inferd:s3cret@db:5432/inferd', schema: 'blue' },
  }).state;
  assert.equal(state.store, 'postgres');
  if (state.store !== 'postgres') return;
  assert.equal(state.url, 'postgres://inferd:s3cret@db:5432/inferd');
  assert.equal(state.schema, 'blue');
  assert.equal(state.location, 'postgres://inferd:***@db:5432/inferd (schema blue)');
  assert.deepEqual([state.pollMs, state.queueLimit], [1000, 10_000]);
  assert.deepEqual(
    [state.leaderRetryMs, state.leaderSessionTimeoutMs, state.evidenceIntervalMs],
    [1000, 5000, 1000],
    'the canary leader timings default to 1 s retry, 5 s session timeout, 1 s evidence exchange',
  );
});

test('the canary leader timings are read from state: and checked against each other', () => {
  const pg = { store: 'postgres', url: 'postgres://db/x' } as const;
  const state = resolveServerConfig({
    ...repo,
    state: { ...pg, leader_retry_ms: 500, leader_session_timeout_ms: 2000, evidence_interval_ms: 250 },
  }).state;
  assert.ok(state.store === 'postgres');
  assert.deepEqual([state.leaderRetryMs, state.leaderSessionTimeoutMs, state.evidenceIntervalMs], [500, 2000, 250]);
  const refused = (state: unknown, pattern: RegExp) =>
    assert.throws(() => resolveServerConfig({ ...repo, state } as never), pattern);
  refused(
    { ...pg, leader_retry_ms: 2000, leader_session_timeout_ms: 5000 },
    /state\.leader_session_timeout_ms \(5000\) is less than three times state\.leader_retry_ms \(2000\).*raise state\.leader_session_timeout_ms to at least 6000/,
  );
  refused({ ...pg, leader_retry_ms: 10 }, /leader_retry_ms/);
  refused({ ...pg, evidence_interval_ms: 0 }, /evidence_interval_ms/);
  refused({ ...pg, leader_session_timeout_ms: 1.5 }, /leader_session_timeout_ms/);
});

test('the older rollouts: block is still read as state:', () => {
  assert.deepEqual(resolveServerConfig({ ...repo, rollouts: { store: 'memory' } }).state, { store: 'memory' });
  assert.deepEqual(resolveServerConfig({ ...repo, rollouts: { path: '/var/lib/inferd/r.db' } }).state, {
    store: 'sqlite',
    path: '/var/lib/inferd/r.db',
    defaultPath: false,
    legacyPath: undefined,
  });
});

test('a wrong state config is refused saying what is wrong and what to do, never echoing a password', () => {
  const refused = (state: unknown, pattern: RegExp | ((err: Error) => boolean), extra: object = {}) =>
    assert.throws(() => resolveServerConfig({ ...repo, ...extra, state } as never), pattern);
  refused({ store: 'postgres' }, /state\.store is postgres but state\.url is missing: set it \(or INFERD_STATE_URL\)/);
  refused(
    { store: 'sqlite', url: 'postgres://db/x' },
    /state\.url is set but state\.store is sqlite: .*set state\.store: postgres/,
  );
  refused(
    { store: 'postgres', url: 'postgres://db/x', path: '/x.db' },
    /state\.path is set but state\.store is postgres/,
  );
  refused(
    { store: 'postgres', url: 'mysql://u:pw@db/x' },
    /must be a postgres:\/\/ or postgresql:\/\/ URL, got mysql:\/\/u:\*\*\*@db\/x/,
  );
  refused(
    { store: 'postgres', url: 'pw-in-here' },
    (err: Error) => /not a URL/.test(err.message) && !err.message.includes('pw-in-here'),
  );
  refused({ store: 'postgres', url: 'postgres://db/x', schema: 'a;drop' }, /plain SQL identifier.*\n.*state\.schema/);
  refused({ store: 'redis' }, /store/);
  refused({ store: 'memory' }, /both state: and rollouts: are set; rollouts: is the older name of state:/, {
    rollouts: { store: 'memory' },
  });
});

test('INFERD_STATE_* variables fill the state block setting by setting, over the file', () => {
  const file = { ...repo, state: { store: 'postgres' as const, schema: 'green' } };
  const env = configFromEnv({ INFERD_STATE_URL: 'postgres://inferd:pw@db/inferd' });
  const state = resolveServerConfig(file, env).state;
  assert.equal(state.store, 'postgres');
  if (state.store === 'postgres')
    assert.deepEqual([state.url, state.schema], ['postgres://inferd:pw@db/inferd', 'green']);
});
