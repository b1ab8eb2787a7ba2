import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors/index.js';
import {
  connectionConfigSchema,
  defaultMaxConnections,
  openFilesLimit,
  toConnectionConfig,
} from './connection-config.js';

const parse = (c: object) => connectionConfigSchema.parse(c);

test('defaults: a head timeout within the request timeout, a budget of at least four largest bodies', () => {
  const c = toConnectionConfig(parse({}), 64 * 1024 * 1024);
  assert.ok(c.headersTimeoutMs <= c.requestTimeoutMs);
  assert.equal(c.bufferedBodyBytes, 256 * 1024 * 1024);
  assert.equal(toConnectionConfig(parse({}), 128 * 1024 * 1024).bufferedBodyBytes, 512 * 1024 * 1024);
});

test('a head timeout longer than the request timeout, or a budget below the body limit, is refused with the fix', () => {
  assert.throws(
    () => toConnectionConfig(parse({ headers_timeout_ms: 5000, request_timeout_ms: 1000 }), 1024),
    (e: unknown) => e instanceof ConfigError && /lower the first or raise the second/.test(e.message),
  );
  assert.throws(
    () => toConnectionConfig(parse({ buffered_body_bytes: 2048 }), 4096),
    (e: unknown) => e instanceof ConfigError && /raise it to at least body_limit_bytes/.test(e.message),
  );
});

test('the default connection cap is a quarter of the open-files limit, within bounds', () => {
  assert.equal(
    openFilesLimit(
      () =>
        'Limit  Soft Limit  Hard Limit  Units\nMax open files            20000                20000                files\n',
    ),
    20000,
  );
  assert.equal(
    openFilesLimit(() => 'nothing here'),
    undefined,
  );
  assert.equal(defaultMaxConnections(20000), 5000);
  assert.equal(defaultMaxConnections(1024), 256);
  assert.equal(defaultMaxConnections(1_048_576), 16_384);
  assert.equal(defaultMaxConnections(undefined), 4096);
});
