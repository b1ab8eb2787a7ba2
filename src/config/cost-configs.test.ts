import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCacheConfig } from './cache-config.js';
import { parseCascadeConfig } from './cascade-config.js';

test('cache: true takes the defaults; false turns it off; a mistake names the file and the docs', () => {
  assert.deepEqual(parseCacheConfig(true, 'm/config.yaml'), {
    maxBytes: 64 * 1024 * 1024,
    ttlMs: 60_000,
    bypass: 'auto',
  });
  assert.equal(parseCacheConfig(false, 'm/config.yaml'), undefined);
  assert.equal(parseCacheConfig({ enabled: false }, 'm/config.yaml'), undefined);
  assert.throws(
    () => parseCacheConfig({ ttl: 5 }, 'm/config.yaml'),
    /m\/config.yaml: invalid cache \(see docs\/response-cache.md\)/,
  );
});

test('cascade: two different models and a known rule', () => {
  const c = parseCascadeConfig(
    { cheap: 'a', expensive: 'b', rule: { kind: 'margin', threshold: 0.4 } },
    'c/config.yaml',
  );
  assert.deepEqual(c.rule, { kind: 'margin', output: 'probabilities', threshold: 0.4 });
  assert.throws(
    () => parseCascadeConfig({ cheap: 'a', expensive: 'a', rule: { kind: 'margin', threshold: 0.4 } }, 'c/config.yaml'),
    /both 'a'; name two different models/,
  );
  assert.throws(
    () => parseCascadeConfig({ cheap: 'a', expensive: 'b', rule: { kind: 'vote' } }, 'c/config.yaml'),
    /invalid cascade/,
  );
});
