/**
 * The feature API's edges on the embedded store (no Redis needed): ingestion errors, request validation (400s that
 * name the feature), imputation of invalid stored values with its metric, missing entities, and a mapping whose
 * order disagrees with the model's training order.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { SqliteFeatureSource } from '../../src/features/sqlite/sqlite-source.js';
import { parseFeaturesConfig } from '../../src/config/index.js';
import { errorMessage, MODELS_DIR, postJson } from '../helpers/server.js';
import {
  entityRequest,
  FRAUD,
  fullInputRequest,
  inferFraud,
  ingest,
  ingestReference,
  metric,
  startFeatureServer,
  type FeatureServer,
} from './feature-server.js';

describe('feature API on the embedded store', () => {
  let f: FeatureServer;
  before(async () => {
    f = await startFeatureServer({ store: { type: 'sqlite', path: 'features.sqlite' } });
    await ingestReference(f.server, [0, 1], new Date(Date.now() - 60_000));
  });
  after(() => f?.close());

  it('ingestion answers 404 for an unknown view and 400 naming the row and column for bad rows', async () => {
    const unknown = await ingest(f.server, 'nope', [{ user_id: 'u' }]);
    assert.equal(unknown.status, 404);
    assert.match(errorMessage(unknown), /unknown feature view 'nope'.*declares: user_profile, merchant_risk/);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { user_id: 'u', event_time: '2026-11-01T00:00:00Z', txn_count_7d: 'many' },
        /rows\[0\]: feature 'txn_count_7d': "many" is not a number/,
      ],
      [
        { user_id: 'u', event_time: '2026-11-01T00:00:00Z', txn_count_7d: -1 },
        /rows\[0\]: feature 'txn_count_7d': -1 is below min 0/,
      ],
      [{ user_id: 'u', txn_count_7d: 1 }, /rows\[0\]: give the row's event time as event_time/],
      [{ event_time: '2026-11-01T00:00:00Z', txn_count_7d: 1 }, /rows\[0\]: entity 'user_id' needs a value/],
      [{ user_id: 'u', event_time: 'yesterday' }, /event_time "yesterday" is not an ISO 8601 time/],
      [
        { user_id: 'u', event_time: '2026-11-01T00:00:00Z', colour: 1 },
        /column 'colour' is not a feature or entity of view 'user_profile'/,
      ],
    ];
    for (const [row, message] of cases) {
      const r = await ingest(f.server, 'user_profile', [row]);
      assert.equal(r.status, 400, r.text);
      assert.match(errorMessage(r), message);
    }
    const notJson = await postJson(`${f.server.url}/v1/features/user_profile`, '{rows', { raw: true });
    assert.equal(notJson.status, 400);
    assert.match(errorMessage(notJson), /not valid JSON.*send \{"rows"/);
  });

  it('rejects bad request-time values with 400 naming the feature and what to send', async () => {
    const body = (patch: (inputs: Array<Record<string, unknown>>) => void) => {
      const b = entityRequest([0]) as { inputs: Array<Record<string, unknown>> };
      patch(b.inputs);
      return b;
    };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        body((i) => (i[0].data = [-5])),
        /feature 'request:amount' of row 0 is invalid: -5 is below min 0; send a valid FP32 value in \[0, 1000000\]/,
      ],
      [body((i) => (i[0].data = [null])), /feature 'request:amount' of row 0 is missing .* \(on_null: reject\)/],
      [body((i) => (i[1].data = [24])), /feature 'request:hour_of_day' of row 0 is invalid: 24 is above max 23/],
      [body((i) => i.shift()), /request-time feature 'amount' is missing: send it as an input tensor 'amount'/],
      [body((i) => (i[0].shape = [1, 2])), /shape/],
    ];
    for (const [b, message] of cases) {
      const r = await inferFraud(f.server, b);
      assert.equal(r.status, 400, r.text);
      assert.match(JSON.parse(r.text).error, message);
    }
    assert.ok((await metric(f.server, 'inferd_feature_validation_failures_total', { feature: 'request:amount' })) >= 2);
  });

  it('rejects requests without usable entities with 400 saying what to send', async () => {
    const noEntities = { inputs: (entityRequest([0]) as { inputs: unknown[] }).inputs };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        noEntities,
        /send the entity ids as parameters \{"entities": \{"user_id": \[\.\.\.\], "merchant_id": \[\.\.\.\]\}\}/,
      ],
      [
        { ...entityRequest([0]), parameters: { entities: { user_id: ['u0001'] } } },
        /feature view 'merchant_risk' needs entities.merchant_id/,
      ],
      [
        { ...entityRequest([0]), parameters: { entities: { user_id: ['a', 'b'], merchant_id: ['m'] } } },
        /entities.user_id has 2 values but entities.merchant_id has 1/,
      ],
      [{ ...entityRequest([0]), parameters: { entities: ['u1'] } }, /'entities' must be an object/],
      [
        { ...fullInputRequest([FRAUD.inputs[0]]), parameters: { entities: { user_id: ['u'], merchant_id: ['m'] } } },
        /either the full 'input' tensor or entities/,
      ],
    ];
    for (const [b, message] of cases) {
      const r = await inferFraud(f.server, b);
      assert.equal(r.status, 400, r.text);
      assert.match(JSON.parse(r.text).error, message);
    }
  });

  it('an unknown entity falls back to defaults, flagged in the response and in metrics', async () => {
    const before = await metric(f.server, 'inferd_feature_fallbacks_total', {
      view: 'user_profile',
      reason: 'missing',
    });
    const users = FRAUD.user_id.map(() => 'never-seen');
    const r = await inferFraud(f.server, entityRequest([0], users));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.parameters.feature_fallback_reasons, { user_profile: ['missing'] });
    assert.equal(
      r.parameters.feature_freshness_seconds &&
        (r.parameters.feature_freshness_seconds as Record<string, unknown>).user_profile,
      null,
    );
    assert.equal(
      await metric(f.server, 'inferd_feature_fallbacks_total', { view: 'user_profile', reason: 'missing' }),
      before + 1,
    );
  });

  it('imputes an invalid stored value (written by another system) and counts it per feature', async () => {
    const config = parseFeaturesConfig(JSON.parse(readFileSync(join(f.dir, 'features.yaml'), 'utf8')), {
      file: 'features.yaml',
      baseDir: f.dir,
      redisUrl: '',
    });
    const other = new SqliteFeatureSource('writer', join(f.dir, 'features.sqlite'));
    await other.start();
    await other.write(config.views.user_profile, [
      {
        entity: ['bad-data'],
        eventTimeMs: Date.now() - 1000,
        values: {
          account_age_days: 10,
          txn_count_7d: 1,
          avg_amount_30d: 20,
          chargebacks_90d: -4,
          distinct_devices_30d: 1,
        },
      },
    ]);
    await other.stop();
    const r = await inferFraud(
      f.server,
      entityRequest(
        [0],
        FRAUD.user_id.map(() => 'bad-data'),
      ),
    );
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.parameters.feature_fallbacks, ['user_profile:chargebacks_90d']);
    assert.equal(
      await metric(f.server, 'inferd_feature_validation_failures_total', { feature: 'user_profile:chargebacks_90d' }),
      1,
    );
  });
});

it("a mapping whose columns disagree with the model's training order keeps the model from answering (503 naming both orders)", async () => {
  const original = readFileSync(join(MODELS_DIR, 'fraud_xgb', 'config.yaml'), 'utf8');
  const swapped = original.replace(
    '    - request:amount\n    - request:hour_of_day',
    '    - request:hour_of_day\n    - request:amount',
  );
  assert.notEqual(swapped, original);
  const f = await startFeatureServer({ store: { type: 'sqlite' }, modelConfig: swapped });
  try {
    const r = await inferFraud(f.server, entityRequest([0]));
    assert.equal(r.status, 503, r.text);
    assert.match(
      JSON.parse(r.text).error,
      /trained on features \[amount, hour_of_day, .*\] but features.columns gives \[hour_of_day, amount, .*\] \(first difference at column 0\)/,
    );
  } finally {
    await f.close();
  }
});
