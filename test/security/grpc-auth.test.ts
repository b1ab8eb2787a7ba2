import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, rawBytes } from '../grpc/grpc-client.js';
import { KEYS, limitedRetryAfter, startSecureServer, type SecureServer } from './security-helpers.js';

let s: SecureServer;
before(async () => {
  s = await startSecureServer();
});
after(() => s.stop());

const DIGITS = {
  model_name: 'digits',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [rawBytes(new Float32Array(64))],
};

/** Calls `method` with `metadata` on a fresh client; resolves with the ServiceError, or undefined on success. */
async function outcome(
  metadata: Record<string, string>,
  method = 'ModelInfer',
  request: object = DIGITS,
): Promise<ServiceError | undefined> {
  const client = connect(s.server.grpcUrl!, {}, metadata);
  try {
    await client.call(method, request);
    return undefined;
  } catch (err) {
    return err as ServiceError;
  } finally {
    client.close();
  }
}

test('ServerLive and ServerReady stay open without credentials', async () => {
  assert.equal(await outcome({}, 'ServerLive', {}), undefined);
  assert.equal(await outcome({}, 'ServerReady', {}), undefined);
});

test('no credentials or an unknown key: UNAUTHENTICATED', async () => {
  assert.equal((await outcome({}))?.code, status.UNAUTHENTICATED);
  assert.equal((await outcome({ authorization: 'Bearer nope' }))?.code, status.UNAUTHENTICATED);
  assert.equal((await outcome({}, 'ModelMetadata', { name: 'digits' }))?.code, status.UNAUTHENTICATED);
});

test('a valid key passes as authorization or x-api-key metadata', async () => {
  assert.equal(await outcome({ authorization: `Bearer ${KEYS.web}` }), undefined);
  assert.equal(await outcome({ 'x-api-key': KEYS.web }), undefined);
});

test('missing scope: PERMISSION_DENIED naming it, for inference and for repository load', async () => {
  const infer = await outcome({ 'x-api-key': KEYS.web }, 'ModelInfer', { ...DIGITS, model_name: 'breast_cancer' });
  assert.equal(infer?.code, status.PERMISSION_DENIED);
  assert.match(infer!.details, /infer:breast_cancer/);
  const load = await outcome({ 'x-api-key': KEYS.web }, 'RepositoryModelLoad', { model_name: 'digits' });
  assert.equal(load?.code, status.PERMISSION_DENIED);
  assert.match(load!.details, /'admin'/);
});

test('JWT: valid passes; expired and wrong audience are UNAUTHENTICATED', async () => {
  assert.equal(await outcome({ authorization: `Bearer ${await s.token()}` }), undefined);
  const expired = await outcome({
    authorization: `Bearer ${await s.token({ expiresIn: Math.floor(Date.now() / 1000) - 60 })}`,
  });
  assert.equal(expired?.code, status.UNAUTHENTICATED);
  const audience = await outcome({ authorization: `Bearer ${await s.token({ audience: 'other' })}` });
  assert.equal(audience?.code, status.UNAUTHENTICATED);
});

test('rate limit: RESOURCE_EXHAUSTED with retry-after metadata after the burst', async () => {
  const md = { 'x-api-key': KEYS.limited };
  const started = performance.now();
  assert.equal(await outcome(md), undefined);
  assert.equal(await outcome(md), undefined);
  const refused = await outcome(md);
  assert.equal(refused?.code, status.RESOURCE_EXHAUSTED);
  assert.match(refused!.details, /rate limit/);
  const [lowest, highest] = limitedRetryAfter(performance.now() - started);
  const retryAfter = Number(refused!.metadata.get('retry-after')[0]);
  assert.ok(retryAfter >= lowest && retryAfter <= highest, `retry-after ${retryAfter}, expected ${lowest}..${highest}`);
});
