import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admitVerdict, isSampled, retentionCutoff } from './audit-policy.js';

describe('audit policy', () => {
  it('samples the configured fraction', () => {
    assert.ok(isSampled(1, 0.9999));
    assert.ok(!isSampled(0, 0));
    assert.ok(isSampled(0.25, 0.2) && !isSampled(0.25, 0.3));
  });

  it('accepts while the buffer has room, then drops or waits per policy', () => {
    assert.equal(admitVerdict(9, 10, 'drop', false), 'accept');
    assert.equal(admitVerdict(10, 10, 'drop', false), 'drop');
    assert.equal(admitVerdict(10, 10, 'backpressure', false), 'wait');
  });

  it('never drops in acknowledged mode', () => {
    assert.equal(admitVerdict(10, 10, 'drop', true), 'wait');
  });

  it('cuts off retention_days before now, and not at all for 0 days', () => {
    assert.equal(retentionCutoff(10 * 86_400_000, 3), 7 * 86_400_000);
    assert.equal(retentionCutoff(10 * 86_400_000, 0), undefined);
  });
});
