/**
 * Fault test, feature store: the fraud model reads its views from a Redis this test starts on a spare port (the
 * machine's shared Redis is left alone), with `fallback: reject` on the views, so a dead store fails the
 * model's requests with 503. With a rule fallback over the request-time `amount`, every request must still be
 * answered, flagged `fallback_reason: features`, and none may get a 5xx.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { MODELS_DIR } from '../helpers/server.js';
import {
  entityRequest,
  FRAUD,
  inferFraud,
  ingestReference,
  startFeatureServer,
  type FeatureServer,
} from '../features/feature-server.js';
import { sparePort } from '../features/spare-port.js';
import { OwnRedis, redisSkipReason } from '../helpers/own-redis.js';
import { metricValue } from './metrics.js';

const skip = redisSkipReason('the feature-store fallback test');
const RULE = '  rule:\n    probabilities: ["amount > 500 ? 0.1 : 0.99", "amount > 500 ? 0.9 : 0.01"]\n';
const ROWS = FRAUD.user_id.map((_, i) => i);

let redis: OwnRedis;
let f: FeatureServer;

before(async () => {
  if (skip) return;
  redis = new OwnRedis(await sparePort());
  await redis.start();
  const modelConfig = `${readFileSync(join(MODELS_DIR, 'fraud_xgb', 'config.yaml'), 'utf8')}\nfallback:\n${RULE}  when: [features, error]\n`;
  const store = {
    type: 'redis',
    url: `redis://127.0.0.1:${redis.port}`,
    key_prefix: `fallback-test-${process.pid}:`,
    breaker: { failure_threshold: 2, open_ms: 200 },
  };
  // A budget well above a healthy read on a loaded machine, and short enough that a read caught by the kill costs little.
  f = await startFeatureServer({ store, budgetMs: 1000, views: { fallback: 'reject', cacheTtlMs: 1 }, modelConfig });
  await ingestReference(f.server, ROWS, new Date(Date.now() - 5000));
});

after(async () => {
  await f?.close();
  await redis?.kill();
});

it(
  'a dead feature store: the rule fallback answers every request, flagged, with no 5xx',
  { skip, timeout: 180_000 },
  async (t) => {
    const transitions = (to: string) =>
      metricValue(f.server, 'inferd_feature_breaker_transitions_total', { store: 'under_test', to });
    const opened = () => transitions('open');
    const probed = () => transitions('half_open');
    // The first reads open the connection; ask until the model answers (counted, not timed).
    let healthy = await inferFraud(f.server, entityRequest([0]));
    for (let i = 0; i < 500 && healthy.parameters.fallback !== undefined; i++)
      healthy = await inferFraud(f.server, entityRequest([0]));
    assert.equal(healthy.status, 200, healthy.text);
    assert.equal(healthy.parameters.fallback, undefined, `the model answers while the store is up: ${healthy.text}`);

    const [openedBefore, probedBefore] = [await opened(), await probed()];
    await redis.kill();
    // At least 60 requests, and on until the open breaker has let a probe through to the dead store and opened
    // again: the requests around that probe must be answered too. Counted in breaker transitions, not timed.
    const answers = [];
    for (let i = 0; i < 60 || (await probed()) === probedBefore || (await opened()) < openedBefore + 2; i++) {
      if (t.signal.aborted) assert.fail(`the breaker never probed the dead store again in ${i} requests`);
      const rows = [ROWS[i % ROWS.length], ROWS[(i + 1) % ROWS.length]];
      answers.push({ rows, ...(await inferFraud(f.server, entityRequest(rows))) });
    }
    const fivexx = answers.filter((a) => a.status >= 500);
    t.diagnostic(`${answers.length} requests while the store was dead; ${fivexx.length} 5xx`);
    assert.equal(fivexx.length, 0, `5xx while the store was dead: ${fivexx[0]?.text}`);
    // Rows cached before the store died are served stale (stale-if-error) by the model itself; the rest fall back.
    const fallbacks = answers.filter((a) => a.parameters.fallback === true);
    const stale = answers.filter(
      (a) => a.parameters.fallback === undefined && a.parameters.feature_served_stale !== undefined,
    );
    t.diagnostic(
      `${fallbacks.length} answered by the fallback, ${stale.length} by the model from stale cached features`,
    );
    assert.equal(
      fallbacks.length + stale.length,
      answers.length,
      'every answer is a flagged fallback or flagged stale',
    );
    assert.ok(fallbacks.length > answers.length / 2, 'most rows were never cached: the fallback answered them');
    assert.ok(fallbacks.every((a) => a.parameters.fallback_reason === 'features'));
    for (const a of fallbacks) {
      assert.deepEqual(
        a.positive,
        a.rows.map((r) => (FRAUD.amount[r] > 500 ? 0.9 : 0.01)).map((p) => Math.fround(p)),
        'the rule over the request-time amount',
      );
    }
    assert.ok(
      (await metricValue(f.server, 'inferd_fallbacks_total', { model: 'fraud_xgb', reason: 'features' })) >=
        fallbacks.length,
    );
  },
);
