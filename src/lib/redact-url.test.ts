import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactUrl } from './redact-url.js';

test('a URL is logged without its password, wherever the password is', () => {
  assert.equal(redactUrl('postgres://inferd:s3cret@db:5432/state'), 'postgres://inferd:***@db:5432/state');
  assert.equal(
    redactUrl('postgres://inferd@db/state?password=s3cret&sslmode=require'),
    'postgres://inferd@db/state?password=***&sslmode=require',
  );
  assert.equal(redactUrl('postgres://db/state'), 'postgres://db/state');
  assert.equal(redactUrl('not a url with s3cret'), '(unparseable URL)');
});
