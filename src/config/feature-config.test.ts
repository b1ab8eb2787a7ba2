import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFeatureMapping, parseFeaturesConfig } from './feature-config.js';
import { parseModelConfigYaml } from './model-config-yaml.js';

const options = { file: 'features.yaml', baseDir: '/srv/inferd', redisUrl: 'redis://cache:6379' };

test('a features file becomes frozen stores and views with defaults filled in', () => {
  const c = parseFeaturesConfig(
    {
      stores: {
        local: { type: 'sqlite', path: 'f.sqlite' },
        online: { type: 'redis' },
        feast: { type: 'feast', project: 'p' },
      },
      feature_views: {
        users: {
          store: 'online',
          entities: ['user_id', { name: 'org', type: 'INT64' }],
          features: { n: { type: 'INT64', default: 0 } },
        },
      },
    },
    options,
  );
  assert.equal(c.budgetMs, 20);
  assert.deepEqual(c.stores.local, { kind: 'sqlite', name: 'local', path: '/srv/inferd/f.sqlite' });
  assert.equal(c.stores.online.kind === 'redis' && c.stores.online.url, 'redis://cache:6379');
  assert.equal(c.stores.feast.kind === 'feast' && c.stores.feast.entityKeySerializationVersion, 3);
  const v = c.views.users;
  assert.deepEqual(v.entities, [
    { name: 'user_id', type: 'STRING' },
    { name: 'org', type: 'INT64' },
  ]);
  assert.deepEqual(v.features[0], {
    name: 'n',
    type: 'INT64',
    default: 0,
    min: undefined,
    max: undefined,
    onNull: 'impute',
    onInvalid: 'reject',
  });
  assert.equal(v.maxAgeMs, 86_400_000);
  assert.equal(v.fallback, 'default');
  assert.ok(Object.isFrozen(v.features[0]));
});

test('errors name the file and the field', () => {
  const bad = (raw: unknown, message: RegExp) => assert.throws(() => parseFeaturesConfig(raw, options), message);
  bad(
    { feature_views: { v: { store: 'nope', entities: ['id'], features: { x: { type: 'FP32' } } } } },
    /features.yaml: feature view 'v' uses store 'nope', which is not under stores:/,
  );
  bad({ stores: { s: { type: 'mongo' } } }, /features.yaml: invalid features config/);
  bad(
    {
      stores: { s: { type: 'sqlite' } },
      feature_views: { v: { store: 's', entities: ['id'], features: { x: { type: 'FP32', min: 2, max: 1 } } } },
    },
    /feature 'x' has min 2 above max 1/,
  );
  bad(
    {
      stores: { s: { type: 'sqlite' } },
      feature_views: { request: { store: 's', entities: ['id'], features: { x: { type: 'FP32' } } } },
    },
    /'request' is reserved/,
  );
});

test("a model's features mapping: columns in order, request-time features declared", () => {
  const m = parseFeatureMapping(
    { request: { amount: { type: 'FP32', on_null: 'reject' } }, columns: ['request:amount', 'users:n'] },
    'm/config.yaml',
  );
  assert.deepEqual(m.columns, [
    { view: 'request', feature: 'amount' },
    { view: 'users', feature: 'n' },
  ]);
  assert.equal(m.request[0].onNull, 'reject');
  assert.throws(
    () => parseFeatureMapping({ columns: ['request:amount'] }, 'm/config.yaml'),
    /column 'request:amount' names a request-time feature that features.request does not declare/,
  );
  assert.throws(
    () => parseFeatureMapping({ columns: ['users:n', 'users:n'] }, 'm/config.yaml'),
    /lists 'users:n' twice/,
  );
  assert.throws(() => parseFeatureMapping({ columns: ['n'] }, 'm/config.yaml'), /name a column '<view>:<feature>'/);
});

test('config.yaml carries the mapping', () => {
  const c = parseModelConfigYaml('features:\n  columns: [users:n]\n', 'm/config.yaml');
  assert.deepEqual(c.features?.columns, [{ view: 'users', feature: 'n' }]);
});

test('a SQLite path starting with $STATE_DIR/ is in the state directory, never beside the features file', () => {
  const stores = { local: { type: 'sqlite', path: '$STATE_DIR/f.sqlite' }, mem: { type: 'sqlite', path: ':memory:' } };
  const c = parseFeaturesConfig({ stores }, { ...options, stateDir: '/var/lib/inferd' });
  assert.deepEqual(c.stores.local, { kind: 'sqlite', name: 'local', path: '/var/lib/inferd/f.sqlite' });
  assert.deepEqual(c.stores.mem, { kind: 'sqlite', name: 'mem', path: ':memory:' });
  // Without a state directory given: the default one of the repository holding the file.
  const d = parseFeaturesConfig({ stores }, options);
  assert.match(d.stores.local.kind === 'sqlite' ? d.stores.local.path : '', /\/inferd\/inferd-[0-9a-f]{8}\/f\.sqlite$/);
});
