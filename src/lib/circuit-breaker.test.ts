import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';

function breaker(threshold = 3, openMs = 100) {
  const clock = { t: 0 };
  const changes: BreakerState[] = [];
  const b = new CircuitBreaker(
    { failureThreshold: threshold, openMs },
    () => clock.t,
    (s) => changes.push(s),
  );
  return { b, clock, changes };
}

test('opens after the threshold of consecutive failures and refuses calls while open', () => {
  const { b } = breaker(3);
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
  assert.ok(b.allow());
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.allow(), false);
});

test('a success resets the consecutive-failure count', () => {
  const { b } = breaker(3);
  b.failure();
  b.failure();
  b.success();
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
});

test('after openMs one probe goes through (half-open); others wait for its outcome', () => {
  const { b, clock } = breaker(1, 100);
  b.failure();
  clock.t = 99;
  assert.equal(b.allow(), false);
  clock.t = 100;
  assert.equal(b.allow(), true);
  assert.equal(b.state, 'half_open');
  assert.equal(b.allow(), false, 'a second probe waits');
});

test('a successful probe closes the breaker; a failed one opens it for another openMs', () => {
  const { b, clock, changes } = breaker(1, 100);
  b.failure();
  clock.t = 100;
  b.allow();
  b.failure();
  assert.equal(b.state, 'open');
  clock.t = 150;
  assert.equal(b.allow(), false, 'the wait restarts at the failed probe');
  clock.t = 200;
  assert.ok(b.allow());
  b.success();
  assert.equal(b.state, 'closed');
  assert.ok(b.allow());
  assert.deepEqual(changes, ['open', 'half_open', 'open', 'half_open', 'closed']);
});

test('late successes of calls started before the breaker opened do not close it', () => {
  const { b } = breaker(1, 100);
  b.failure();
  b.success();
  assert.equal(b.state, 'open');
});
