import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeOrderedId } from './request-id.js';

describe('timeOrderedId', () => {
  it('is a UUIDv7 that starts with the time, so later ids sort after earlier ones', () => {
    const a = timeOrderedId(Date.parse('2026-01-01T00:00:00Z'));
    const b = timeOrderedId(Date.parse('2026-01-01T00:00:00.001Z'));
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(a < b, `${a} < ${b}`);
    assert.equal(parseInt(a.slice(0, 8) + a.slice(9, 13), 16), Date.parse('2026-01-01T00:00:00Z'));
  });
});
