import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeStoreError } from './store-errors.js';

const ctx = {
  url: 's3://models/prod',
  bucket: 'models',
  endpoint: 'http://minio:9000',
  action: 'list',
  credentialSource: 'the environment (AWS_ACCESS_KEY_ID=AKIA…)',
};

/** An error shaped as the AWS SDK throws them. */
function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });
}

test('a refused credential names the bucket and where the credentials came from', () => {
  for (const err of [sdkError('InvalidAccessKeyId', 403), sdkError('AccessDenied', 403), sdkError('Unknown', 401)]) {
    const e = describeStoreError(err, ctx);
    assert.equal(e.problem, 'credentials');
    assert.match(e.message, /bucket 'models'/);
    assert.match(e.message, /AWS_ACCESS_KEY_ID=AKIA…/);
    assert.equal(e.errorCode, 'artifact_store_unavailable');
  }
});

test('network failures, also wrapped by the SDK, are unreachable; SlowDown and 503 are throttling', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
  assert.equal(describeStoreError(refused, ctx).problem, 'unreachable');
  assert.equal(describeStoreError(new Error('wrapped', { cause: refused }), ctx).problem, 'unreachable');
  assert.equal(describeStoreError(sdkError('TimeoutError'), ctx).problem, 'unreachable');
  assert.equal(describeStoreError(sdkError('SlowDown', 503), ctx).problem, 'throttled');
  assert.equal(describeStoreError(sdkError('ServiceUnavailable', 503), ctx).problem, 'throttled');
});

test('a missing bucket says so; anything else keeps the SDK message and what was being done', () => {
  const missing = describeStoreError(sdkError('NoSuchBucket', 404), ctx);
  assert.equal(missing.problem, 'no_bucket');
  assert.match(missing.message, /the bucket 'models' does not exist at http:\/\/minio:9000/);
  const other = describeStoreError(sdkError('InternalError', 500), { ...ctx, action: 'read digits/1/model.onnx' });
  assert.equal(other.problem, 'failed');
  assert.match(other.message, /cannot read digits\/1\/model\.onnx in s3:\/\/models\/prod/);
});
