import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMIT, parseAuditQuery } from './audit-query.js';

describe('parseAuditQuery', () => {
  it('reads model, since (ISO or ms), request_id and limit', () => {
    assert.deepEqual(parseAuditQuery({ model: 'digits', since: '2026-01-01T00:00:00Z', request_id: 'r1', limit: '5' }), {
      model: 'digits', sinceMs: Date.parse('2026-01-01T00:00:00Z'), requestId: 'r1', limit: 5,
    });
    assert.equal(parseAuditQuery({ since: '1700000000000' }).sinceMs, 1_700_000_000_000);
    assert.equal(parseAuditQuery({}).limit, DEFAULT_LIMIT);
  });

  it('says what is wrong with a bad query', () => {
    assert.throws(() => parseAuditQuery({ since: 'yesterday' }), /since='yesterday' is not a time; use ISO 8601/);
    assert.throws(() => parseAuditQuery({ limit: '0' }), /limit=0 is not an integer from 1 to 1000/);
    assert.throws(() => parseAuditQuery({ modle: 'x' }), /unknown query parameter 'modle'/);
    assert.throws(() => parseAuditQuery({ model: ['a', 'b'] }), /'model' is given more than once/);
  });
});
