import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpAction } from './auth-hook.js';

test('HTTP routes: health open, infer and predict need the model, writes and the prediction log are admin', () => {
  assert.equal(httpAction('GET', '/v2/health/ready'), 'open');
  assert.equal(httpAction('POST', '/v2/models/:model/infer'), 'infer');
  assert.equal(httpAction('POST', '/v1/models/:model([^:/]+)::predict'), 'infer');
  assert.equal(httpAction('POST', '/v2/repository/models/:model/load'), 'admin');
  assert.equal(httpAction('POST', '/v1/models/:model/traffic'), 'admin');
  assert.equal(httpAction('POST', '/v1/features/:view'), 'admin');
  assert.equal(httpAction('GET', '/v1/predictions'), 'admin');
  assert.equal(httpAction('POST', '/v2/repository/index'), 'read');
  assert.equal(httpAction('GET', '/v2/models/:model'), 'read');
  assert.equal(httpAction('GET', undefined), 'read');
});
