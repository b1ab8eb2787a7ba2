/**
 * The behaviour every FeedbackStore has, run against both implementations over the real stores: the SQLite file
 * of the prediction log and the machine's PostgreSQL (a schema of its own, dropped after). Predictions are written
 * by the audit sinks themselves, so the join runs on the tables as the server writes them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditSink } from '../../src/audit/audit-sink.js';
import { sampleRecord } from '../../src/audit/audit-sink.case.test.js';
import { PostgresAuditSink } from '../../src/audit/postgres/postgres-audit-sink.js';
import { SqliteAuditSink } from '../../src/audit/sqlite/sqlite-audit-sink.js';
import type { FeedbackRecord, FeedbackStore } from '../../src/quality/feedback-store.js';
import { PostgresFeedbackStore } from '../../src/quality/feedback-store-postgres.js';
import { SqliteFeedbackStore } from '../../src/quality/feedback-store-sqlite.js';
import { ThreadedFeedbackStore } from '../../src/quality/feedback-store-threaded.js';
import { tempDir } from '../audit/audit-helpers.js';
import { PG_URL, testPostgres } from '../audit/postgres.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function label(requestId: string, o: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return {
    requestId,
    principal: 'anonymous',
    row: 0,
    model: 'digits',
    version: '1',
    predictionTimeMs: T0,
    timeMs: T0 + 60_000,
    kind: 'label',
    label: 7,
    predicted: 7,
    scores: [0.25, 0.75],
    positiveClass: 1,
    ...o,
  };
}

function storeCases(
  name: string,
  make: () => { sink: AuditSink; store: FeedbackStore },
  cleanup: () => Promise<void>,
): void {
  describe(`FeedbackStore (${name})`, () => {
    let sink: AuditSink;
    let store: FeedbackStore;

    before(async () => {
      ({ sink, store } = make());
      await sink.start();
      await store.start();
      await sink.write([
        sampleRecord({ requestId: 'a', timeMs: T0 }),
        sampleRecord({ requestId: 'b', timeMs: T0 + 1000, version: '2' }),
        sampleRecord({ requestId: 'a', timeMs: T0 + 2000, version: '3' }), // the same id again: the newest wins
        sampleRecord({ requestId: 'c', timeMs: T0 + 3000, model: 'other' }),
      ]);
    });
    after(async () => {
      await store?.stop();
      await sink?.stop();
      await cleanup();
    });

    it('finds the newest logged prediction per request id, with its tensors', async () => {
      const found = (await store.predictions(['a', 'b', 'missing'], { principal: 'anonymous', model: 'digits' })).sort(
        (x, y) => x.requestId.localeCompare(y.requestId),
      );
      assert.deepEqual(
        found.map((p) => [p.requestId, p.version, p.timeMs]),
        [
          ['a', '3', T0 + 2000],
          ['b', '2', T0 + 1000],
        ],
      );
      assert.deepEqual(found[0].outputs.find((t) => t.name === 'label')!.data, [7]);
      assert.equal(found[0].inputs.find((t) => t.name === 'ssn')!.redacted, '[REDACTED]');
    });

    it('stores labels once per request and row, and reads them back exactly', async () => {
      const first = [
        label('a'),
        label('a', { row: 1, label: 3, predicted: 2, scores: null, positiveClass: null }),
        label('b', {
          kind: 'value',
          label: 2.5,
          predicted: 3.25,
          scores: null,
          positiveClass: null,
          timeMs: T0 + 120_000,
        }),
      ];
      assert.equal(await store.insert(first), 3);
      assert.equal(
        await store.insert([label('a', { label: 0 }), label('c', { model: 'other', timeMs: T0 + 180_000 })]),
        1,
        'a/0 is kept as first stored',
      );
      assert.deepEqual(await store.labelsFor('digits', ['a', 'b']), first);
    });

    it('windows by label arrival time, per model or for all', async () => {
      assert.deepEqual(
        (await store.window(T0 + 90_000, 'digits')).map((r) => r.requestId),
        ['b'],
      );
      assert.deepEqual(
        (await store.window(T0, 'digits')).map((r) => `${r.requestId}/${r.row}`),
        ['a/0', 'a/1', 'b/0'],
      );
      assert.deepEqual(
        (await store.window(T0 + 90_000)).map((r) => r.requestId),
        ['b', 'c'],
      );
    });

    it('reads only the newest labels when given a limit, still oldest first, and lists the models with labels', async () => {
      assert.deepEqual(
        (await store.window(T0, 'digits', 2)).map((r) => `${r.requestId}/${r.row}`),
        ['a/1', 'b/0'],
      );
      assert.deepEqual(
        (await store.window(T0, undefined, 1)).map((r) => r.requestId),
        ['c'],
      );
      assert.deepEqual(
        (await store.window(T0, 'digits', 10)).map((r) => `${r.requestId}/${r.row}`),
        ['a/0', 'a/1', 'b/0'],
      );
      assert.deepEqual(await store.models(T0), ['digits', 'other']);
      assert.deepEqual(await store.models(T0 + 150_000), ['other']);
    });

    it('pages logged predictions oldest first, optionally only labelled ones', async () => {
      const page1 = await store.logged({ model: 'digits', sinceMs: T0, labeledOnly: false, limit: 2 });
      const page2 = await store.logged({
        model: 'digits',
        sinceMs: T0,
        labeledOnly: false,
        afterSeq: page1.at(-1)!.seq,
        limit: 2,
      });
      assert.deepEqual(
        [...page1, ...page2].map((p) => `${p.requestId}@${p.version}`),
        ['a@1', 'b@2', 'a@3'],
      );
      assert.deepEqual(
        (await store.logged({ model: 'digits', sinceMs: T0 + 1500, labeledOnly: false, limit: 10 })).map(
          (p) => p.version,
        ),
        ['3'],
      );
      await store.insert([label('zzz')]); // a label whose prediction is not logged changes nothing
      assert.equal((await store.logged({ model: 'other', sinceMs: T0, labeledOnly: true, limit: 10 })).length, 1);
    });

    it('deletes labels that arrived before a time', async () => {
      assert.equal(await store.deleteBefore(T0 + 100_000), 3);
      assert.deepEqual((await store.window(0)).map((r) => r.requestId).sort(), ['b', 'c']);
    });
  });
}

const dir = tempDir('inferd-feedback-store-');
storeCases(
  'sqlite',
  () => ({
    sink: new SqliteAuditSink(join(dir.dir, 'audit.db'), 'async'),
    store: new SqliteFeedbackStore({ path: join(dir.dir, 'audit.db') }),
  }),
  async () => dir.cleanup(),
);
// The server's store: the same calls, run in a worker thread.
const threadedDir = tempDir('inferd-feedback-store-threaded-');
storeCases(
  'sqlite, worker thread',
  () => ({
    sink: new SqliteAuditSink(join(threadedDir.dir, 'audit.db'), 'async'),
    store: new ThreadedFeedbackStore({ store: 'sqlite', path: join(threadedDir.dir, 'audit.db') }),
  }),
  async () => threadedDir.cleanup(),
);

const pg = await testPostgres();
if (typeof pg === 'string') {
  describe('FeedbackStore (postgres)', { skip: pg }, () => undefined);
} else {
  const schema = pg.schema('_feedback_store');
  const threaded = pg.schema('_feedback_store_threaded');
  storeCases(
    'postgres',
    () => ({
      sink: new PostgresAuditSink({ url: PG_URL, schema, durability: 'async' }),
      store: new PostgresFeedbackStore({ url: PG_URL, schema }),
    }),
    async () => undefined,
  );
  storeCases(
    'postgres, worker thread',
    () => ({
      sink: new PostgresAuditSink({ url: PG_URL, schema: threaded, durability: 'async' }),
      store: new ThreadedFeedbackStore({ store: 'postgres', url: PG_URL, schema: threaded }),
    }),
    () => pg.cleanup(),
  );
}
