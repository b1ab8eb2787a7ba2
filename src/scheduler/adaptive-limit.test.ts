import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AimdLimit } from './adaptive-limit.js';

const config = {
  algorithm: 'aimd' as const,
  targetLatencyMs: 10,
  initialLimit: 10,
  minLimit: 2,
  maxLimit: 12,
  backoffRatio: 0.5,
};
const MS = 1_000_000;

describe('AimdLimit', () => {
  it('grows by one per fast call while the limit is in use, up to max_limit', () => {
    const l = new AimdLimit(config);
    l.onSample({ latencyNs: 1 * MS, enqueuedNs: 0n, inflight: 2, nowNs: 1n });
    assert.equal(l.limit, 10, 'an idle server says nothing about a higher limit');
    for (let i = 0; i < 5; i++) l.onSample({ latencyNs: 1 * MS, enqueuedNs: 0n, inflight: 9, nowNs: 1n });
    assert.equal(l.limit, 12);
  });

  it('cuts once per congestion episode, down to min_limit', () => {
    const l = new AimdLimit(config);
    l.onSample({ latencyNs: 20 * MS, enqueuedNs: 100n, inflight: 10, nowNs: 200n });
    assert.equal(l.limit, 5);
    l.onSample({ latencyNs: 20 * MS, enqueuedNs: 150n, inflight: 10, nowNs: 210n });
    assert.equal(l.limit, 5, 'queued before the cut: the same episode');
    l.onDrop(250n, 300n);
    assert.equal(l.limit, 2);
    l.onDrop(400n, 500n);
    assert.equal(l.limit, 2, 'never below min_limit');
  });
});
