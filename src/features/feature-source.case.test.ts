/**
 * The cases every FeatureSource passes (SQLite here beside it; Redis and Feast's layout in test/features/ against
 * the real Redis). A file of its own runs them with a factory for its store. Event times are whole seconds
 * because Feast's layout keeps seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FeatureViewConfig } from '../config/index.js';
import type { FeatureSource } from './feature-source.js';

export interface SourceUnderTest {
  readonly source: FeatureSource;
  /** Removes what the test wrote (Redis keys of this run), then stops the source. */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 1);

function view(
  name: string,
  entities: FeatureViewConfig['entities'] = [{ name: 'user_id', type: 'STRING' }],
): FeatureViewConfig {
  return {
    name,
    store: 'under-test',
    entities,
    maxAgeMs: 86_400_000,
    fallback: 'default',
    cache: { ttlMs: 0, maxEntries: 1, maxBytes: 1024 },
    features: [
      { name: 'spend_30d', type: 'FP64', default: NaN, onNull: 'impute', onInvalid: 'reject' },
      { name: 'txn_count', type: 'INT64', default: 0, onNull: 'impute', onInvalid: 'reject' },
      { name: 'is_vip', type: 'BOOL', default: 0, onNull: 'impute', onInvalid: 'reject' },
    ],
  };
}

const num = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'boolean' ? Number(v) : Number(v));

/** A row's values as numbers, every feature of the cases' views (a value the store left out is missing: null). */
function values(
  row: { values: Readonly<Record<string, unknown>> } | undefined,
): Record<string, number | null> | undefined {
  return row && Object.fromEntries(view('any').features.map((f) => [f.name, num(row.values[f.name])]));
}

/** Registers the shared FeatureSource cases under `describe(name)`. */
export function featureSourceCases(name: string, make: () => Promise<SourceUnderTest>): void {
  describe(`FeatureSource: ${name}`, () => {
    let s: SourceUnderTest;
    before(async () => {
      s = await make();
    });
    after(() => s?.cleanup());

    it('reads back written rows in the order of the keys, undefined for unknown keys', async () => {
      const v = view('cases_read');
      await s.source.write(v, [
        { entity: ['u1'], eventTimeMs: T0, values: { spend_30d: 120.5, txn_count: 7, is_vip: 1 } },
        { entity: ['u2'], eventTimeMs: T0 + 1000, values: { spend_30d: 3.25, txn_count: 0, is_vip: 0 } },
      ]);
      const rows = await s.source.read(v, [['u2'], ['nobody'], ['u1']]);
      assert.equal(rows[1], undefined);
      assert.deepEqual(values(rows[0]), { spend_30d: 3.25, txn_count: 0, is_vip: 0 });
      assert.deepEqual(values(rows[2]), { spend_30d: 120.5, txn_count: 7, is_vip: 1 });
      assert.equal(rows[0]!.eventTimeMs, T0 + 1000);
    });

    it('never lets an older write overwrite a newer row, and reports it as skipped', async () => {
      const v = view('cases_order');
      await s.source.write(v, [
        { entity: ['u1'], eventTimeMs: T0 + 60_000, values: { spend_30d: 2, txn_count: 2, is_vip: 0 } },
      ]);
      const late = await s.source.write(v, [
        { entity: ['u1'], eventTimeMs: T0, values: { spend_30d: 1, txn_count: 1, is_vip: 1 } },
      ]);
      assert.deepEqual(late, { written: 0, skippedOlder: 1 });
      const [row] = await s.source.read(v, [['u1']]);
      assert.deepEqual(values(row), { spend_30d: 2, txn_count: 2, is_vip: 0 });
      assert.equal(row!.eventTimeMs, T0 + 60_000);
    });

    it('a newer write replaces the values it names; a null value reads back as missing', async () => {
      const v = view('cases_newer');
      await s.source.write(v, [{ entity: ['u1'], eventTimeMs: T0, values: { spend_30d: 1, txn_count: 1, is_vip: 1 } }]);
      const r = await s.source.write(v, [
        { entity: ['u1'], eventTimeMs: T0 + 5000, values: { spend_30d: 9, txn_count: null, is_vip: 0 } },
      ]);
      assert.deepEqual(r, { written: 1, skippedOlder: 0 });
      const [row] = await s.source.read(v, [['u1']]);
      assert.deepEqual(values(row), { spend_30d: 9, txn_count: null, is_vip: 0 });
    });

    it('a partial write merges: the features it names change, the others keep their values', async () => {
      const v = view('cases_merge');
      await s.source.write(v, [{ entity: ['u1'], eventTimeMs: T0, values: { spend_30d: 1, txn_count: 1, is_vip: 1 } }]);
      const r = await s.source.write(v, [{ entity: ['u1'], eventTimeMs: T0 + 5000, values: { txn_count: 14 } }]);
      assert.deepEqual(r, { written: 1, skippedOlder: 0 });
      const [row] = await s.source.read(v, [['u1']]);
      assert.deepEqual(values(row), { spend_30d: 1, txn_count: 14, is_vip: 1 });
      assert.equal(row!.eventTimeMs, T0 + 5000);
      await s.source.write(v, [{ entity: ['u1'], eventTimeMs: T0 + 6000, values: { is_vip: null } }]);
      const [cleared] = await s.source.read(v, [['u1']]);
      assert.deepEqual(values(cleared), { spend_30d: 1, txn_count: 14, is_vip: null });
    });

    it('a partial write of an entity without a row stores only what it names', async () => {
      const v = view('cases_merge_new');
      await s.source.write(v, [{ entity: ['u9'], eventTimeMs: T0, values: { txn_count: 3, is_vip: null } }]);
      const [row] = await s.source.read(v, [['u9']]);
      assert.deepEqual(values(row), { spend_30d: null, txn_count: 3, is_vip: null });
    });

    it('reads a batch of 300 entities in one call', async () => {
      const v = view('cases_batch');
      const rows = Array.from({ length: 300 }, (_, i) => ({
        entity: [`u${i}`],
        eventTimeMs: T0,
        values: { spend_30d: i / 4, txn_count: i, is_vip: i % 2 },
      }));
      assert.deepEqual(await s.source.write(v, rows), { written: 300, skippedOlder: 0 });
      const read = await s.source.read(
        v,
        rows.map((r) => r.entity),
      );
      read.forEach((row, i) => assert.equal(num(row!.values.txn_count), i));
    });

    it('keeps composite and INT64 entity keys apart', async () => {
      const v = view('cases_composite', [
        { name: 'user_id', type: 'INT64' },
        { name: 'merchant_id', type: 'STRING' },
      ]);
      await s.source.write(v, [
        { entity: ['12', 'm1'], eventTimeMs: T0, values: { spend_30d: 1, txn_count: 1, is_vip: 0 } },
        { entity: ['12', 'm2'], eventTimeMs: T0, values: { spend_30d: 2, txn_count: 2, is_vip: 0 } },
        { entity: ['-3', 'm:1'], eventTimeMs: T0, values: { spend_30d: 3, txn_count: 3, is_vip: 1 } },
      ]);
      const rows = await s.source.read(v, [
        ['12', 'm2'],
        ['12', 'm1'],
        ['-3', 'm:1'],
        ['12', 'm3'],
      ]);
      assert.deepEqual(
        rows.map((r) => num(r?.values.txn_count)),
        [2, 1, 3, null],
      );
    });

    it('tells whether a view has rows', async () => {
      const v = view('cases_has_rows');
      assert.equal(await s.source.hasRows(v), false);
      await s.source.write(v, [{ entity: ['u1'], eventTimeMs: T0, values: { spend_30d: 1, txn_count: 1, is_vip: 0 } }]);
      assert.equal(await s.source.hasRows(v), true);
    });
  });
}
