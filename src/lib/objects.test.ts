import assert from 'node:assert/strict';
import test from 'node:test';
import { deepFreeze, definedOnly } from './objects.js';

test('deepFreeze freezes nested objects and arrays and returns the same object', () => {
  const value = { a: { b: [1, { c: 2 }] }, d: 'x' };
  const frozen = deepFreeze(value);
  assert.equal(frozen, value);
  assert.ok(Object.isFrozen(value.a));
  assert.ok(Object.isFrozen(value.a.b));
  assert.ok(Object.isFrozen(value.a.b[1]));
  assert.throws(() => {
    (value.a.b as unknown[]).push(3);
  }, TypeError);
});

test('deepFreeze passes primitives and null through', () => {
  assert.equal(deepFreeze(3), 3);
  assert.equal(deepFreeze(null), null);
});

test('definedOnly drops undefined-valued keys only', () => {
  assert.deepEqual(definedOnly({ a: 1, b: undefined, c: null }), { a: 1, c: null });
  assert.deepEqual(definedOnly(undefined), {});
});
