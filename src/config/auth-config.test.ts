import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseApiKeysFile } from './auth-config.js';
import { resolveServerConfig } from './server-config.js';

const SHA = 'a'.repeat(64);

test('parses hashed keys with scopes and a default burst', () => {
  const [k] = parseApiKeysFile(
    `keys:\n  - {name: web, tenant: acme, sha256: ${SHA}, scopes: ['infer:digits'], rate_limit: {requests_per_second: 5}}\n`,
    'keys.yaml',
  );
  assert.equal(k!.name, 'web');
  assert.deepEqual(k!.rateLimit, { requestsPerSecond: 5, burst: 5 });
});

test('refuses a bad scope, a bad hash and duplicate names, naming the file', () => {
  assert.throws(
    () => parseApiKeysFile(`keys: [{name: a, tenant: t, sha256: ${SHA}, scopes: [write]}]`, 'k.yaml'),
    /k\.yaml.*\n?.*scope/s,
  );
  assert.throws(
    () => parseApiKeysFile(`keys: [{name: a, tenant: t, sha256: abc, scopes: [admin]}]`, 'k.yaml'),
    /SHA-256/,
  );
  assert.throws(
    () =>
      parseApiKeysFile(
        `keys: [{name: a, tenant: t, sha256: ${SHA}, scopes: [admin]}, {name: a, tenant: u, sha256: ${SHA}, scopes: [admin]}]`,
        'k.yaml',
      ),
    /two keys are named 'a'/,
  );
});

test('refuses a non-loopback address without auth unless insecure', () => {
  assert.throws(
    () => resolveServerConfig({ host: '0.0.0.0' }),
    /refusing to serve 0\.0\.0\.0 without authentication.*--insecure/,
  );
  assert.equal(resolveServerConfig({ host: '0.0.0.0', insecure: true }).insecure, true);
  assert.equal(resolveServerConfig({}).auth.enabled, false);
  assert.throws(() => resolveServerConfig({ auth: { enabled: true } }), /api_keys_file or auth\.jwt\.issuers/);
});
