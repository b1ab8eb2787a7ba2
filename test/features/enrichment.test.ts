/**
 * Request enrichment end to end over HTTP, the same tests on every store: the embedded SQLite store, Redis in
 * inferd's layout and Redis in Feast's layout (the real Redis at 127.0.0.1:6379, keys of this run only).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertClose } from '../helpers/server.js';
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
  type StoreEntry,
} from './feature-server.js';
import { deleteKeys, redisSkip, REDIS_URL, uniqueNamespace } from './redis-target.js';

const redisSkipped = await redisSkip();
const ALL_ROWS = FRAUD.user_id.map((_, i) => i);

interface StoreCase {
  readonly name: string;
  readonly store: () => StoreEntry;
  readonly cleanup: (store: StoreEntry) => Promise<unknown>;
  readonly skip: false | string;
}

const CASES: StoreCase[] = [
  {
    name: 'sqlite (embedded)',
    store: () => ({ type: 'sqlite', path: ':memory:' }),
    cleanup: async () => {},
    skip: false,
  },
  {
    name: 'redis',
    skip: redisSkipped,
    store: () => ({ type: 'redis', url: REDIS_URL, key_prefix: uniqueNamespace('prefix') }),
    cleanup: (s) => deleteKeys(`${String(s.key_prefix)}*`),
  },
  {
    name: 'feast (Redis layout)',
    skip: redisSkipped,
    store: () => ({ type: 'feast', url: REDIS_URL, project: uniqueNamespace('project') }),
    cleanup: (s) => deleteKeys(`*${String(s.project)}`),
  },
];

const secondsAgo = (s: number) => new Date(Math.floor(Date.now() / 1000 - s) * 1000);
const withUsers = (prefix: string) => FRAUD.user_id.map((u) => `${prefix}-${u}`);

for (const c of CASES) {
  describe(`enrichment on ${c.name}`, { skip: c.skip }, () => {
    let f: FeatureServer;
    let store: StoreEntry;
    let ingestedAtMs = 0;
    before(async () => {
      store = c.store();
      f = await startFeatureServer({ store, views: { maxAgeSeconds: 3600 } });
      ingestedAtMs = Date.now();
      await ingestReference(f.server, ALL_ROWS, secondsAgo(60));
    });
    after(async () => {
      await f?.close();
      if (store) await c.cleanup(store);
    });

    it("builds the input in training order from both views and the request: answers equal XGBoost's and the all-features request's", async () => {
      const enriched = await inferFraud(f.server, entityRequest(ALL_ROWS));
      assert.equal(enriched.status, 200, enriched.text);
      assertClose(enriched.positive, FRAUD.probabilities, 1e-6, 'enriched vs XGBoost');
      const full = await inferFraud(f.server, fullInputRequest(FRAUD.inputs));
      assert.deepEqual(enriched.positive, full.positive, 'enriched vs all features in the request');
      const fresh = enriched.parameters.feature_freshness_seconds as Record<string, number>;
      // 60 s old when ingested, plus however long the machine took since (whole seconds, so one more).
      const sinceIngestS = (Date.now() - ingestedAtMs) / 1000;
      assert.ok(
        fresh.user_profile >= 59 && fresh.user_profile <= 61 + sinceIngestS,
        `user_profile age ${fresh.user_profile}`,
      );
      // Stored nulls (about 2% of the synthetic user values) are imputed with the default and reported as such.
      const imputed = FRAUD.columns.flatMap((name, c) =>
        c >= 3 && FRAUD.inputs.some((row) => row[c] === null)
          ? [`${c < 8 ? 'user_profile' : 'merchant_risk'}:${name}`]
          : [],
      );
      assert.deepEqual(enriched.parameters.feature_fallbacks ?? [], imputed);
      assert.equal(enriched.parameters.feature_fallback_reasons, undefined, 'every entity was found');
    });

    it('treats a row older than max_age_seconds as missing: defaults (NaN) are used and flagged', async () => {
      const users = withUsers('stale');
      await ingestReference(f.server, [0], secondsAgo(7200), users);
      const r = await inferFraud(f.server, entityRequest([0], users));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.parameters.feature_fallback_reasons, { user_profile: ['stale'] });
      assert.deepEqual(
        r.parameters.feature_fallbacks,
        FRAUD.columns.slice(3, 8).map((n) => `user_profile:${n}`),
      );
      const expected = FRAUD.inputs[0].map((v, i) => (i >= 3 && i < 8 ? null : v));
      assert.deepEqual(r.positive, (await inferFraud(f.server, fullInputRequest([expected]))).positive);
    });

    it('never lets an older write overwrite a newer one: the model sees the newer row', async () => {
      const user = `ooo-${c.name.length}`;
      const row = (chargebacks: number, devices: number, at: Date) => ({
        user_id: user,
        event_time: at.toISOString(),
        account_age_days: 12,
        txn_count_7d: 30,
        avg_amount_30d: 40,
        chargebacks_90d: chargebacks,
        distinct_devices_30d: devices,
      });
      const newer = await ingest(f.server, 'user_profile', [row(3, 6, secondsAgo(10))]);
      assert.deepEqual(newer.json, { view: 'user_profile', written: 1, skipped_older: 0 });
      const older = await ingest(f.server, 'user_profile', [row(0, 1, secondsAgo(100))]);
      assert.deepEqual(older.json, { view: 'user_profile', written: 0, skipped_older: 1 });
      const users = FRAUD.user_id.map(() => user);
      const r = await inferFraud(f.server, entityRequest([0], users));
      const input = (cb: number, dev: number) => [
        ...FRAUD.inputs[0].slice(0, 3),
        12,
        30,
        40,
        cb,
        dev,
        ...FRAUD.inputs[0].slice(8),
      ];
      const [withNewer, withOlder] = await Promise.all([
        inferFraud(f.server, fullInputRequest([input(3, 6)])),
        inferFraud(f.server, fullInputRequest([input(0, 1)])),
      ]);
      assert.notDeepEqual(
        withNewer.positive,
        withOlder.positive,
        'the two rows must give different answers for this test to mean anything',
      );
      assert.deepEqual(r.positive, withNewer.positive);
    });

    it('coalesces concurrent misses: 16 requests for an uncached entity make one store read', async () => {
      const users = withUsers('coalesce');
      await ingestReference(f.server, [2], secondsAgo(30), users);
      const labels = { view: 'user_profile' };
      const readsBefore = await metric(f.server, 'inferd_feature_store_reads_total', labels);
      const missesBefore = await metric(f.server, 'inferd_feature_cache_lookups_total', { ...labels, result: 'miss' });
      const request = {
        model: 'fraud_xgb',
        parameters: { entities: { user_id: [users[2]], merchant_id: [FRAUD.merchant_id[2]] } },
        inputs: [
          { name: 'amount', datatype: 'FP32' as const, shape: [1], data: Float32Array.of(FRAUD.amount[2]) },
          { name: 'hour_of_day', datatype: 'INT32' as const, shape: [1], data: Int32Array.of(FRAUD.hour_of_day[2]) },
          { name: 'card_present', datatype: 'BOOL' as const, shape: [1], data: Uint8Array.of(FRAUD.card_present[2]) },
        ],
      };
      // Started in one turn of the event loop: all 16 miss before the first read can answer.
      const answers = await Promise.all(Array.from({ length: 16 }, () => f.server.inferd.infer(request)));
      assert.equal(
        (await metric(f.server, 'inferd_feature_store_reads_total', labels)) - readsBefore,
        1,
        'store reads for 16 concurrent misses',
      );
      assert.equal(
        (await metric(f.server, 'inferd_feature_cache_lookups_total', { ...labels, result: 'miss' })) - missesBefore,
        16,
      );
      const p = answers.map((a) => (a.outputs.find((o) => o.name === 'probabilities')!.data as Float32Array)[1]);
      assertClose(
        p,
        p.map(() => FRAUD.probabilities[2]),
        1e-6,
        'every coalesced answer',
      );
    });

    it('serves a repeated entity from the cache without a store read', async () => {
      const labels = { view: 'merchant_risk' };
      await inferFraud(f.server, entityRequest([3]));
      const reads = await metric(f.server, 'inferd_feature_store_reads_total', labels);
      const hits = await metric(f.server, 'inferd_feature_cache_lookups_total', { ...labels, result: 'hit' });
      const r = await inferFraud(f.server, entityRequest([3]));
      assertClose(r.positive, [FRAUD.probabilities[3]], 1e-6, 'cached answer');
      assert.equal(await metric(f.server, 'inferd_feature_store_reads_total', labels), reads);
      assert.equal(
        await metric(f.server, 'inferd_feature_cache_lookups_total', { ...labels, result: 'hit' }),
        hits + 1,
      );
    });
  });
}
