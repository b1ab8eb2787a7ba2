import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorize, requiredScope } from './authorize.js';

const caller = (...scopes: string[]) => ({ scopes: new Set(scopes) });

test('infer on a model needs infer:<model> or infer:*', () => {
  assert.equal(authorize(caller('infer:digits'), 'infer', 'digits'), undefined);
  assert.equal(authorize(caller('infer:*'), 'infer', 'digits'), undefined);
  assert.equal(authorize(caller('infer:digits'), 'infer', 'fraud_xgb'), 'infer:fraud_xgb');
  assert.equal(authorize(caller('admin'), 'infer', 'digits'), 'infer:digits');
});

test('admin actions need admin; infer:* is not enough', () => {
  assert.equal(authorize(caller('admin'), 'admin'), undefined);
  assert.equal(authorize(caller('infer:*'), 'admin', 'digits'), 'admin');
});

test('read and open need no scope', () => {
  assert.equal(authorize(caller(), 'read', 'digits'), undefined);
  assert.equal(authorize(caller(), 'open'), undefined);
  assert.equal(requiredScope('read'), undefined);
  assert.equal(requiredScope('infer', 'm'), 'infer:m');
});
