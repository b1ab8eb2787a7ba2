/**
 * POST /v1/features/{view} with a partial row updates only the features it names, on every store, over a started
 * server: the model then answers exactly as it does for the full input with that one value changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  entityRequest,
  FRAUD,
  fullInputRequest,
  inferFraud,
  ingest,
  ingestReference,
  startFeatureServer,
  type FeatureServer,
  type StoreEntry,
} from './feature-server.js';
import { deleteKeys, redisSkip, REDIS_URL, uniqueNamespace } from './redis-target.js';

const redisSkipped = await redisSkip();

const STORES: Array<{
  name: string;
  store: () => StoreEntry;
  cleanup: (s: StoreEntry) => Promise<unknown>;
  skip: false | string;
}> = [
  {
    name: 'sqlite (embedded)',
    store: () => ({ type: 'sqlite', path: 'features.sqlite' }),
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

const ROW = 0;
const TXN_COUNT_COLUMN = FRAUD.columns.indexOf('txn_count_7d');

for (const target of STORES) {
  describe(`partial feature upserts merge: ${target.name}`, { skip: target.skip }, () => {
    let f: FeatureServer;
    let store: StoreEntry;
    before(async () => {
      store = target.store();
      // A zero cache TTL: every request reads the store, so the answer shows what the store holds.
      f = await startFeatureServer({ store, views: { cacheTtlMs: 0 } });
      await ingestReference(f.server, [ROW], new Date(Date.now() - 120_000));
    });
    after(async () => {
      await f?.close();
      await target.cleanup(store);
    });

    it('a row naming one feature changes that feature and keeps the others', async () => {
      const stored = FRAUD.inputs[ROW][TXN_COUNT_COLUMN];
      const changed = (stored ?? 0) + 40;
      const res = await ingest(f.server, 'user_profile', [
        { user_id: FRAUD.user_id[ROW], event_time: new Date(Date.now() - 60_000).toISOString(), txn_count_7d: changed },
      ]);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { view: 'user_profile', written: 1, skipped_older: 0 });

      const enriched = await inferFraud(f.server, entityRequest([ROW]));
      assert.equal(enriched.status, 200, enriched.text);
      assert.equal(enriched.parameters.feature_fallbacks, undefined, `no feature fell back: ${enriched.text}`);
      const input = [...FRAUD.inputs[ROW]];
      input[TXN_COUNT_COLUMN] = changed;
      const expected = await inferFraud(f.server, fullInputRequest([input]));
      assert.equal(expected.status, 200, expected.text);
      assert.deepEqual(enriched.positive, expected.positive);
      const before = await inferFraud(f.server, fullInputRequest([FRAUD.inputs[ROW]]));
      assert.notDeepEqual(
        before.positive,
        expected.positive,
        'the changed feature moves the score (else this test could not tell)',
      );
    });
  });
}
