import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors/index.js';
import { credentialSource, isStoreUrl, parseStoreUrl } from './artifact-store-config.js';
import { resolveServerConfig } from './server-config.js';

test('s3:// locations: bucket and prefix, slashes trimmed; malformed ones refused with an example', () => {
  assert.ok(isStoreUrl('s3://models/prod') && !isStoreUrl('/srv/models'));
  assert.deepEqual(parseStoreUrl('s3://models/prod/'), { url: 's3://models/prod', bucket: 'models', prefix: 'prod' });
  assert.deepEqual(parseStoreUrl('s3://models'), { url: 's3://models', bucket: 'models', prefix: '' });
  assert.throws(() => parseStoreUrl('s3://Bad_Bucket/x'), /s3:\/\/<bucket>\/<prefix>/);
  assert.throws(() => parseStoreUrl('s3://models/../etc'), /may not contain/);
  assert.throws(() => resolveServerConfig({ model_repository: 's3://x' }), ConfigError);
});

test('the credential source is named from the environment the SDK reads, without a secret', () => {
  const env = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-value' };
  assert.match(credentialSource(env), /the environment \(AWS_ACCESS_KEY_ID=AKIA…\)/);
  assert.ok(!credentialSource(env).includes('secret-value'));
  assert.match(
    credentialSource({ AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' }),
    /web identity .*arn:aws:iam::1:role\/r/,
  );
  assert.match(credentialSource({ AWS_PROFILE: 'prod' }), /profile 'prod'/);
  assert.match(credentialSource({}), /default chain/);
});

test('several repositories: model_repository first, then model_repositories; the cache under the state dir', () => {
  const config = resolveServerConfig({
    model_repository: 's3://models/prod',
    model_repositories: ['/srv/models', 's3://models/prod'],
    state_dir: '/var/lib/inferd',
  });
  assert.deepEqual(config.modelRepositories, ['s3://models/prod', '/srv/models']);
  assert.equal(config.artifactStore.cacheDir, '/var/lib/inferd/artifacts');
  assert.equal(config.artifactStore.maxConcurrentDownloads, 4);
});
