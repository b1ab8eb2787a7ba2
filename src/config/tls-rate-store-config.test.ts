import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveServerConfig } from './server-config.js';

test('tls: off by default; files, client auth and reload interval when set', () => {
  assert.equal(resolveServerConfig({}).tls, undefined);
  const tls = resolveServerConfig({
    tls: { cert_file: 'c.pem', key_file: 'k.pem', ca_file: 'ca.pem', client_auth: 'require', reload_secs: 0.5 },
  }).tls;
  assert.deepEqual(tls, {
    certFile: 'c.pem',
    keyFile: 'k.pem',
    caFile: 'ca.pem',
    clientAuth: 'require',
    reloadMs: 500,
    metrics: false,
  });
  assert.equal(resolveServerConfig({ tls: { cert_file: 'c', key_file: 'k' } }).tls?.reloadMs, 30_000);
});

test('tls: a missing key file, an unknown client_auth or client auth without a CA is refused', () => {
  // Partial on purpose: the schema must report the missing setting.
  assert.throws(() => resolveServerConfig({ tls: { cert_file: 'c' } as never }), /tls\.key_file/);
  assert.throws(
    () => resolveServerConfig({ tls: { cert_file: 'c', key_file: 'k', client_auth: 'optional' as never } }),
    /tls\.client_auth/,
  );
  assert.throws(
    () => resolveServerConfig({ tls: { cert_file: 'c', key_file: 'k', client_auth: 'request' } }),
    /set tls\.ca_file/,
  );
});

test('rate store: memory by default; redis takes the server redis_url unless it names its own', () => {
  assert.deepEqual(resolveServerConfig({}).rateStore, { kind: 'memory' });
  const redis = resolveServerConfig({ redis_url: 'redis://r:6379', limits: { rate_store: 'redis' } }).rateStore;
  assert.deepEqual(redis, {
    kind: 'redis',
    url: 'redis://r:6379',
    keyPrefix: 'inferd:ratelimit:',
    commandTimeoutMs: 50,
    onUnavailable: 'open',
    breaker: { failureThreshold: 3, openMs: 1000 },
  });
  const own = resolveServerConfig({
    limits: { rate_store: 'redis', rate_redis: { url: 'redis://x:1', key_prefix: 'p:', on_unavailable: 'closed' } },
  }).rateStore;
  assert.equal(own.kind === 'redis' && `${own.url} ${own.keyPrefix} ${own.onUnavailable}`, 'redis://x:1 p: closed');
  assert.throws(() => resolveServerConfig({ limits: { rate_store: 'etcd' as never } }), /limits\.rate_store/);
  // The input-hardening settings beside them still apply.
  assert.equal(resolveServerConfig({ limits: { max_inputs: 3, rate_store: 'memory' } }).limits.maxInputs, 3);
});
