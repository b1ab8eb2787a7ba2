import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIMIT, parsePredictionQuery } from './prediction-query.js';

describe('parsePredictionQuery', () => {
  it('reads model, since (ISO or ms), request_id and limit', () => {
    assert.deepEqual(
      parsePredictionQuery({ model: 'digits', since: '2026-01-01T00:00:00Z', request_id: 'r1', limit: '5' }),
      {
        model: 'digits',
        sinceMs: Date.parse('2026-01-01T00:00:00Z'),
        requestId: 'r1',
        limit: 5,
      },
    );
    assert.equal(parsePredictionQuery({ since: '1700000000000' }).sinceMs, 1_700_000_000_000);
    assert.equal(parsePredictionQuery({}).limit, DEFAULT_LIMIT);
  });

  it('says what is wrong with a bad query', () => {
    assert.throws(() => parsePredictionQuery({ since: 'yesterday' }), /since='yesterday' is not a time; use ISO 8601/);
    assert.throws(() => parsePredictionQuery({ limit: '0' }), /limit=0 is not an integer from 1 to 1000/);
    assert.throws(() => parsePredictionQuery({ modle: 'x' }), /unknown query parameter 'modle'/);
    assert.throws(() => parsePredictionQuery({ model: ['a', 'b'] }), /'model' is given more than once/);
  });
});
