import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DIGITS_REQUEST,
  INITIAL_KEYS,
  KEYS,
  keysFile,
  limitedRetryAfter,
  logRecords,
  post,
  replaceFile,
  startSecureServer,
  type SecureServer,
} from './security-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

let s: SecureServer;
let url: string;
before(async () => {
  s = await startSecureServer();
  url = s.server.url;
});
after(() => s.stop());

const infer = (headers: Record<string, string>, model = 'digits') =>
  post(url, `/v2/models/${model}/infer`, DIGITS_REQUEST, headers);
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

test('health endpoints stay open without credentials', async () => {
  assert.equal((await fetch(`${url}/v2/health/live`)).status, 200);
  assert.equal((await fetch(`${url}/v2/health/ready`)).status, 200);
});

test('no credentials or an unknown key: 401 with WWW-Authenticate, before the body is read', async () => {
  const none = await infer({});
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  assert.match(none.text, /no credentials: send Authorization: Bearer/);
  assert.equal((await infer(bearer('not-a-key'))).status, 401);
  assert.equal((await infer({ authorization: 'Basic abc' })).status, 401);
  assert.equal((await fetch(`${url}/v2/models/digits`)).status, 401);
});

test('a valid key passes as Bearer or x-api-key', async () => {
  assert.equal((await infer(bearer(KEYS.web))).status, 200);
  assert.equal((await infer({ 'x-api-key': KEYS.web })).status, 200);
  assert.equal((await fetch(`${url}/v2/models/digits`, { headers: { 'x-api-key': KEYS.web } })).status, 200);
});

test("a key without the model's scope: 403 naming the scope", async () => {
  const r = await infer(bearer(KEYS.web), 'breast_cancer');
  assert.equal(r.status, 403);
  assert.match(r.text, /lack the scope 'infer:breast_cancer'/);
});

test('admin endpoints need admin: an infer-only key gets 403', async () => {
  const r = await post(url, '/v2/repository/models/x/load', '', bearer(KEYS.web));
  assert.equal(r.status, 403);
  assert.match(r.text, /scope 'admin'/);
  assert.equal((await post(url, '/v1/features/v', '{"rows": []}', bearer(KEYS.web))).status, 403);
  // ops has admin: it gets past the gate to the repository (which has no model x).
  assert.notEqual((await post(url, '/v2/repository/models/x/load', '', bearer(KEYS.ops))).status, 403);
});

test('JWT: valid passes; expired, wrong audience and missing scope are refused', async () => {
  assert.equal((await infer(bearer(await s.token()))).status, 200);
  const expired = await infer(bearer(await s.token({ expiresIn: Math.floor(Date.now() / 1000) - 60 })));
  assert.equal(expired.status, 401);
  assert.match(expired.text, /expired/);
  const audience = await infer(bearer(await s.token({ audience: 'someone-else' })));
  assert.equal(audience.status, 401);
  assert.match(audience.text, /'aud' claim/);
  const scope = await infer(bearer(await s.token({ scope: 'infer:breast_cancer' })));
  assert.equal(scope.status, 403);
  assert.match(scope.text, /infer:digits/);
});

test('rate limit: the burst passes, then 429 with Retry-After, counted by key class', async () => {
  const started = performance.now();
  assert.equal((await infer(bearer(KEYS.limited))).status, 200);
  assert.equal((await infer(bearer(KEYS.limited))).status, 200);
  const refused = await infer(bearer(KEYS.limited));
  assert.equal(refused.status, 429);
  const [lowest, highest] = limitedRetryAfter(performance.now() - started);
  const retryAfter = Number(refused.headers.get('retry-after'));
  assert.ok(retryAfter >= lowest && retryAfter <= highest, `Retry-After ${retryAfter}, expected ${lowest}..${highest}`);
  assert.match(refused.text, /rate limit of 'limited' exceeded/);
  const metrics = await (await fetch(s.server.metricsUrl!)).text();
  assert.match(metrics, /inferd_rate_limited_total\{key_class="limited",limit="key"\} 1/);
  assert.doesNotMatch(metrics, new RegExp(KEYS.limited));
});

test('input hardening: too deep JSON and too many inputs are 400 with the limit named', async () => {
  const deep = await post(
    url,
    '/v2/models/digits/infer',
    `{"inputs":${'['.repeat(40)}${']'.repeat(40)}}`,
    bearer(KEYS.web),
  );
  assert.equal(deep.status, 400);
  assert.match(deep.text, /deeper than 16 levels \(limits\.max_json_depth\)/);
  // Each one as the model takes it: only their number is wrong.
  const input = { name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array<number>(64).fill(0) };
  const many = await post(
    url,
    '/v2/models/digits/infer',
    JSON.stringify({ inputs: Array(5).fill(input) }),
    bearer(KEYS.web),
  );
  assert.equal(many.status, 400);
  assert.match(many.text, /5 inputs, above the limit of 4 \(limits\.max_inputs\)/);
});

test('key rotation: after the keys file changes the old key stops working and the new one works, without a restart', async (t) => {
  // Waits for the server's own word that it re-read the file (with the new number of keys), then asserts at once.
  const rotate = async (content: string, keys: number) => {
    const from = s.logs.length;
    await replaceFile(s.keysPath, content);
    await waitFor(
      () => logRecords(s.logs, 'API keys reloaded', from).some((r) => r.keys === keys),
      `the keys file to be reloaded with ${keys} keys`,
      t.signal,
    );
  };
  await rotate(keysFile([{ name: 'web-2', key: KEYS.rotated, scopes: ['infer:digits'] }]), 1);
  assert.equal((await infer(bearer(KEYS.web))).status, 401, 'old key still accepted');
  assert.equal((await infer(bearer(KEYS.rotated))).status, 200);
  await rotate(INITIAL_KEYS, 3);
  assert.equal((await infer(bearer(KEYS.web))).status, 200);
  assert.equal((await infer(bearer(KEYS.rotated))).status, 401, 'the rotated-out key still accepted');
});

test('no key or token appears in the logs', async () => {
  const token = await s.token();
  await infer(bearer(token));
  await infer(bearer('wrong-key-0123456789'));
  const text = s.logs.join('');
  assert.match(text, /API keys reloaded/);
  for (const secret of [...Object.values(KEYS), 'wrong-key-0123456789', token])
    assert.ok(!text.includes(secret), 'a credential was logged');
});
