import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';

function breaker(
  config: Partial<{ failureThreshold: number; errorRate: number; window: number; openMs: number }> = {},
) {
  let t = 0;
  const changes: BreakerState[] = [];
  const b = new CircuitBreaker(
    { failureThreshold: 3, errorRate: 0, window: 10, openMs: 100, ...config },
    () => t,
    (s) => changes.push(s),
  );
  return { b, changes, advance: (ms: number) => (t += ms) };
}

describe('CircuitBreaker with an error-rate window', () => {
  it('opens after consecutive failures; a success in between resets the count', () => {
    const { b } = breaker();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    assert.equal(b.state, 'closed');
    b.failure();
    assert.equal(b.state, 'open');
    assert.equal(b.allow(), false);
  });

  it('opens on the error rate over a full window, not before the window is full', () => {
    const { b } = breaker({ failureThreshold: 100, errorRate: 0.5, window: 4 });
    b.failure();
    b.success();
    b.failure();
    assert.equal(b.state, 'closed', 'three outcomes of a window of four: not judged yet');
    b.success();
    assert.equal(b.state, 'closed', 'judged on a failure');
    b.failure();
    assert.equal(b.state, 'open', 'two of the last four failed');
  });

  it('lets one probe through after openMs: success closes, failure reopens', () => {
    const { b, changes, advance } = breaker({ failureThreshold: 1 });
    b.failure();
    advance(99);
    assert.equal(b.allow(), false);
    advance(1);
    assert.equal(b.allow(), true, 'the probe');
    assert.equal(b.allow(), false, 'one probe at a time');
    b.failure();
    assert.equal(b.state, 'open');
    advance(100);
    assert.equal(b.allow(), true);
    b.success();
    assert.equal(b.state, 'closed');
    assert.deepEqual(changes, ['open', 'half_open', 'open', 'half_open', 'closed']);
  });

  it('a neutral outcome frees the probe slot without deciding', () => {
    const { b, advance } = breaker({ failureThreshold: 1 });
    b.failure();
    advance(100);
    assert.equal(b.allow(), true);
    b.neutral();
    assert.equal(b.state, 'half_open');
    assert.equal(b.allow(), true, 'another probe may go');
  });
});
