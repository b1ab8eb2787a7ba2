/**
 * A feature store is a dependency readiness reports on only when requests fail without it: the fraud model reads
 * views with `fallback: reject` and has no fallback of its own, so while the store's breaker is open its requests
 * answer 503 and readiness is false, naming the store and the views. With a model fallback for `features` the
 * requests are answered, so readiness stays true. The Redis is the test's own, on a spare port.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MODELS_DIR } from '../helpers/server.js';
import { OwnRedis, redisSkipReason } from '../helpers/own-redis.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  entityRequest,
  FRAUD,
  inferFraud,
  ingestReference,
  startFeatureServer,
  type FeatureServer,
} from './feature-server.js';
import { sparePort } from './spare-port.js';

const skip = redisSkipReason('the feature-store readiness test');
const ROWS = FRAUD.user_id.map((_, i) => i);
/** Long enough that the breaker is still open when readiness is asked, however loaded the machine. */
const OPEN_MS = 600_000;

describe('readiness and a feature store requests need', { skip }, () => {
  let redis: OwnRedis;
  let strict: FeatureServer;
  let withFallback: FeatureServer;

  before(async () => {
    redis = new OwnRedis(await sparePort());
    await redis.start();
    const store = (prefix: string) => ({
      type: 'redis',
      url: redis.url,
      key_prefix: `${prefix}-${process.pid}:`,
      breaker: { failure_threshold: 1, open_ms: OPEN_MS },
    });
    const rule = '  rule:\n    probabilities: ["0.5", "0.5"]\n  when: [features]\n';
    strict = await startFeatureServer({ store: store('ready-strict'), views: { fallback: 'reject', cacheTtlMs: 0 } });
    withFallback = await startFeatureServer({
      store: store('ready-fallback'),
      views: { fallback: 'reject', cacheTtlMs: 0 },
      modelConfig: `${readFileSync(join(MODELS_DIR, 'fraud_xgb', 'config.yaml'), 'utf8')}\nfallback:\n${rule}`,
    });
    for (const f of [strict, withFallback]) await ingestReference(f.server, ROWS, new Date(Date.now() - 5000));
  });
  after(async () => {
    await strict?.close();
    await withFallback?.close();
    await redis?.kill();
  });

  const ready = async (f: FeatureServer) => {
    const res = await fetch(`${f.server.url}/v2/health/ready`);
    return { status: res.status, text: await res.text() };
  };

  it('store down: the model without a fallback makes readiness false with the store and views; with one, it stays true', async (t) => {
    assert.equal((await inferFraud(strict.server, entityRequest([0]))).status, 200);
    assert.equal((await ready(strict)).status, 200);
    await redis.kill();
    await waitFor(
      async () => (await inferFraud(strict.server, entityRequest([1]))).status === 503,
      'a request refused for want of features',
      t.signal,
    );
    const answer = await ready(strict);
    assert.equal(answer.status, 400, answer.text);
    const reasons = (JSON.parse(answer.text) as { reasons: Array<{ dependency?: string; reason: string }> }).reasons;
    assert.match(
      reasons.find((r) => r.dependency === 'feature_store')?.reason ?? '',
      /feature store 'under_test' is failing .*'user_profile', 'merchant_risk'.*fallback: reject/,
      answer.text,
    );

    const fallback = await inferFraud(withFallback.server, entityRequest([1]));
    assert.equal(fallback.status, 200, fallback.text);
    assert.equal(fallback.parameters.fallback, true, 'answered by the model fallback');
    assert.deepEqual(await ready(withFallback), { status: 200, text: '' });
  });
});
