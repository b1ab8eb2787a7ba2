import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullBucket, takeToken } from './token-bucket.js';
import { RateLimiter } from './rate-limiter.js';

const limit = { requestsPerSecond: 2, burst: 3 };

test('allows a burst, then refuses with the seconds until the next token', () => {
  let state = fullBucket(limit, 0);
  for (let i = 0; i < 3; i++) {
    const d = takeToken(state, limit, 0);
    assert.ok(d.allowed);
    state = d.state;
  }
  const refused = takeToken(state, limit, 0);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterSeconds, 1);
});

test('refills at requests_per_second, never above burst', () => {
  const empty = { tokens: 0, atMs: 0 };
  assert.equal(takeToken(empty, limit, 499).allowed, false);
  assert.ok(takeToken(empty, limit, 500).allowed);
  assert.equal(takeToken(empty, limit, 60_000).state.tokens, limit.burst - 1);
});

test('a slow rate asks for a longer wait; a clock going backwards adds nothing', () => {
  const slow = { requestsPerSecond: 0.1, burst: 1 };
  assert.equal(takeToken({ tokens: 0, atMs: 0 }, slow, 0).retryAfterSeconds, 10);
  assert.equal(takeToken({ tokens: 0.5, atMs: 1000 }, slow, 0).state.tokens, 0.5);
});

test('RateLimiter keeps one bucket per key on the injected clock and forgets the least recently used', () => {
  const clock = { t: 0 };
  const limiter = new RateLimiter({ now: () => clock.t, maxBuckets: 2 });
  const one = { requestsPerSecond: 1, burst: 1 };
  assert.equal(limiter.take('a', one), 0);
  assert.equal(limiter.take('a', one), 1);
  assert.equal(limiter.take('b', one), 0);
  clock.t = 1000;
  assert.equal(limiter.take('a', one), 0);
  limiter.take('c', one); // evicts b
  assert.equal(limiter.take('b', one), 0);
});
