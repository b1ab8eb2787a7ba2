/**
 * JWTs without an `exp` claim would be valid forever: refused by default (401 saying why), accepted only when
 * the operator sets auth.jwt.require_exp: false.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIGITS_REQUEST, post, startSecureServer } from './security-helpers.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('a JWT without exp is 401 by default, with the reason and the opt-out named; one with exp passes', async () => {
  const s = await startSecureServer();
  try {
    const forever = await post(
      s.server.url,
      '/v2/models/digits/infer',
      DIGITS_REQUEST,
      bearer(await s.token({ expiresIn: null })),
    );
    assert.equal(forever.status, 401, forever.text);
    assert.match(forever.text, /has no 'exp' claim, so it would never expire.*auth\.jwt\.require_exp: false/);
    assert.equal(
      (await post(s.server.url, '/v2/models/digits/infer', DIGITS_REQUEST, bearer(await s.token()))).status,
      200,
    );
  } finally {
    await s.stop();
  }
});

test('auth.jwt.require_exp: false accepts a JWT without exp', async () => {
  const s = await startSecureServer({ requireExp: false });
  try {
    const forever = await post(
      s.server.url,
      '/v2/models/digits/infer',
      DIGITS_REQUEST,
      bearer(await s.token({ expiresIn: null })),
    );
    assert.equal(forever.status, 200, forever.text);
  } finally {
    await s.stop();
  }
});
