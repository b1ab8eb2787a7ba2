import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pointOf, routingKeyOf } from './routing-key.js';
import { pickVersion, servingSplit, sharesOf } from './traffic-split.js';

const weights = (entries: Array<[number, number]>) => new Map(entries);

test('the split keeps positive weights of ready versions, newest first', () => {
  const split = servingSplit(
    weights([
      [1, 90],
      [2, 10],
      [3, 0],
      [4, 50],
    ]),
    new Set([1, 2, 3]),
  );
  assert.deepEqual(split, [
    { version: 2, weight: 10 },
    { version: 1, weight: 90 },
  ]);
  assert.deepEqual(
    [...sharesOf(split)],
    [
      [2, 10],
      [1, 90],
    ],
  );
});

test('a point picks the version whose span holds it; weights need not sum to 100', () => {
  const split = servingSplit(
    weights([
      [1, 3],
      [2, 1],
    ]),
    new Set([1, 2]),
  );
  assert.equal(pickVersion(split, 0), 2);
  assert.equal(pickVersion(split, 0.2499), 2);
  assert.equal(pickVersion(split, 0.25), 1);
  assert.equal(pickVersion(split, 0.9999), 1);
});

test('the same key always maps to the same point, and models salt it', () => {
  assert.equal(pointOf('digits', 'user-42'), pointOf('digits', 'user-42'));
  assert.notEqual(pointOf('digits', 'user-42'), pointOf('fraud', 'user-42'));
  const p = pointOf('digits', 'user-42');
  assert.ok(p >= 0 && p < 1);
});

test('hashed keys spread evenly: a 30% version gets about 30% of 10,000 keys', () => {
  const split = servingSplit(
    weights([
      [1, 70],
      [2, 30],
    ]),
    new Set([1, 2]),
  );
  let toTwo = 0;
  for (let i = 0; i < 10_000; i++) if (pickVersion(split, pointOf('digits', `user-${i}`)) === 2) toTwo++;
  assert.ok(toTwo > 2800 && toTwo < 3200, `${toTwo} of 10000 keys reached the 30% version`);
});

test("raising the newest version's weight only moves keys to it, never away", () => {
  const before = servingSplit(
    weights([
      [1, 95],
      [2, 5],
    ]),
    new Set([1, 2]),
  );
  const after = servingSplit(
    weights([
      [1, 75],
      [2, 25],
    ]),
    new Set([1, 2]),
  );
  for (let i = 0; i < 5000; i++) {
    const p = pointOf('digits', `k${i}`);
    if (pickVersion(before, p) === 2)
      assert.equal(pickVersion(after, p), 2, `key k${i} left the candidate when its weight rose`);
  }
});

test('the routing key is the named parameter, else routing_key; strings and numbers only', () => {
  assert.equal(routingKeyOf({ user_id: 'u1', routing_key: 'h' }, 'user_id'), 'u1');
  assert.equal(routingKeyOf({ routing_key: 'h' }, 'user_id'), 'h');
  assert.equal(routingKeyOf({ user_id: 42 }, 'user_id'), '42');
  assert.equal(routingKeyOf({ user_id: { a: 1 } }, 'user_id'), undefined);
  assert.equal(routingKeyOf(undefined, 'user_id'), undefined);
});
