/**
 * Fallback policies against a Redis that is not there (a closed port on this machine): `fallback: default` answers
 * with defaults without waiting on the store (store_error, then breaker_open) and says why; `fallback: reject` answers 503 naming the view.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorMessage, postJson } from '../helpers/server.js';
import { entityRequest, inferFraud, metric, startFeatureServer, type FeatureServer } from './feature-server.js';
import { sparePort } from './spare-port.js';

async function deadRedisServer(fallback: 'default' | 'reject'): Promise<FeatureServer> {
  const url = `redis://127.0.0.1:${await sparePort()}`;
  // A budget far beyond the test's run: a read that ran out the budget instead of failing at once would show as
  // budget_exceeded, whatever the machine's load.
  return startFeatureServer({
    store: { type: 'redis', url, breaker: { failure_threshold: 2, open_ms: 60_000 } },
    budgetMs: 600_000,
    views: { fallback },
  });
}

describe('a store that is down, fallback: default', () => {
  let f: FeatureServer;
  before(async () => {
    f = await deadRedisServer('default');
  });
  after(() => f?.close());

  it('answers with defaults, flags the reason, and opens the breaker after the threshold', async () => {
    const reasons: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await inferFraud(f.server, entityRequest([0]));
      assert.equal(r.status, 200, r.text);
      reasons.push((r.parameters.feature_fallback_reasons as Record<string, string[]>).user_profile[0]);
    }
    // No waiting on a dead store: the first read fails with the refused connection (store_error), not by running
    // out the feature budget (budget_exceeded), and once the first request's two failed reads reach the threshold
    // (2) the store is not asked at all (breaker_open).
    assert.deepEqual(reasons, ['store_error', 'breaker_open', 'breaker_open', 'breaker_open']);
    assert.equal(await metric(f.server, 'inferd_feature_breaker_state', { store: 'under_test' }), 2);
    assert.equal(
      await metric(f.server, 'inferd_feature_fallbacks_total', { view: 'merchant_risk', reason: 'breaker_open' }),
      3,
    );
  });

  it('ingestion into the dead store answers 503 saying to retry', async () => {
    const r = await postJson(`${f.server.url}/v1/features/user_profile`, {
      rows: [{ user_id: 'u', event_time: '2026-11-01T00:00:00Z', txn_count_7d: 1 }],
    });
    assert.equal(r.status, 503);
    assert.match(errorMessage(r), /feature store 'under_test' could not store rows of view 'user_profile'.*retry/);
  });
});

it('a store that is down, fallback: reject: 503 naming the view and the policy', async () => {
  const f = await deadRedisServer('reject');
  try {
    const r = await inferFraud(f.server, entityRequest([0]));
    assert.equal(r.status, 503, r.text);
    assert.match(
      JSON.parse(r.text).error,
      /feature view '(user_profile|merchant_risk)': store 'under_test' failed, and the view says fallback: reject; retry shortly/,
    );
  } finally {
    await f.close();
  }
});
