import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RollingCounts } from './rolling-counts.js';

const MIN = 60_000;

test('sums the buckets of the last span, the current one included', () => {
  const c = new RollingCounts(MIN, 10, 2);
  c.add(0, [1, 1]);
  c.add(2 * MIN + 5, [2, 0]);
  c.add(4 * MIN + 59_999, [4, 4]);
  assert.deepEqual(c.sum(4 * MIN + 59_999, 5 * MIN), [7, 5], 'buckets 0..4');
  assert.deepEqual(c.sum(5 * MIN, 5 * MIN), [6, 4], 'bucket 0 has left the 5-minute span');
  assert.deepEqual(c.sum(5 * MIN, 1), [0, 0], 'the current bucket is empty');
});

test('a slot is zeroed when time comes round to it again, so memory stays fixed', () => {
  const c = new RollingCounts(MIN, 3, 1);
  c.add(0, [5]);
  c.add(3 * MIN, [1]); // same slot as minute 0, three minutes later
  assert.deepEqual(c.sum(3 * MIN, 3 * MIN), [1]);
  assert.deepEqual(c.sum(3 * MIN, 100 * MIN), [1], 'a span longer than the ring is capped at the ring');
});

test('old buckets still in their slot are not counted in a later span', () => {
  const c = new RollingCounts(MIN, 4, 1);
  c.add(1 * MIN, [3]);
  assert.deepEqual(c.sum(10 * MIN, 4 * MIN), [0]);
});

test('rejects a nonsensical shape', () => {
  assert.throws(() => new RollingCounts(0, 10, 1), /bucketMs > 0/);
  assert.throws(() => new RollingCounts(MIN, 1.5, 1), /positive integer/);
});

test('sums over several spans in one pass equal each span summed alone', () => {
  const counts = new RollingCounts(1000, 50, 2);
  for (let t = 0; t < 80_000; t += 700) counts.add(t, [1, t % 3]);
  const spans = [1000, 5000, 30_000, 60_000, 200_000];
  assert.deepEqual(
    counts.sums(80_000, spans),
    spans.map((span) => counts.sum(80_000, span)),
  );
});
