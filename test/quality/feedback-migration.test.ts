/**
 * A prediction log written by an earlier inferd (predictions without principal columns, labels keyed by request id
 * and row alone) is migrated in place when the stores open it, on SQLite and PostgreSQL: older predictions read as
 * anonymous and claimed, their labels still join them, and a label for another model's prediction with the same
 * request id is no longer blocked as a duplicate.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, describe, it } from 'node:test';
import { PostgresAuditSink } from '../../src/audit/postgres/postgres-audit-sink.js';
import { SqliteAuditSink } from '../../src/audit/sqlite/sqlite-audit-sink.js';
import type { AuditSink } from '../../src/audit/audit-sink.js';
import type { FeedbackRecord, FeedbackStore } from '../../src/quality/feedback-store.js';
import { PostgresFeedbackStore } from '../../src/quality/feedback-store-postgres.js';
import { SqliteFeedbackStore } from '../../src/quality/feedback-store-sqlite.js';
import { tempDir } from '../audit/audit-helpers.js';
import { PG_URL, testPostgres } from '../audit/postgres.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const OUTPUTS = JSON.stringify([{ name: 'label', datatype: 'INT64', shape: [1], data: [4] }]);

/** The tables as the previous release created them. */
const OLD_SQLITE = `
CREATE TABLE predictions (id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, time_ms INTEGER NOT NULL, caller TEXT NOT NULL, model TEXT NOT NULL,
  version TEXT NOT NULL, protocol TEXT NOT NULL, latency_ms REAL NOT NULL, inputs TEXT NOT NULL, outputs TEXT NOT NULL, parameters TEXT);
CREATE TABLE feedback (request_id TEXT NOT NULL, row_index INTEGER NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
  prediction_time_ms INTEGER NOT NULL, time_ms INTEGER NOT NULL, kind TEXT NOT NULL, label REAL NOT NULL, predicted REAL NOT NULL,
  scores TEXT, positive_class INTEGER, PRIMARY KEY (request_id, row_index));
INSERT INTO predictions (request_id, time_ms, caller, model, version, protocol, latency_ms, inputs, outputs, parameters)
  VALUES ('old-1', ${T0}, 'someone', 'digits', '1', 'http', 1, '[]', '${OUTPUTS}', NULL),
         ('old-1', ${T0 + 1}, 'someone', 'cancer', '1', 'http', 1, '[]', '${OUTPUTS}', NULL);
INSERT INTO feedback VALUES ('old-1', 0, 'digits', '1', ${T0}, ${T0 + 60_000}, 'label', 4, 4, NULL, NULL);`;

function oldPostgres(schema: string): string {
  return `CREATE SCHEMA "${schema}";
CREATE TABLE "${schema}".predictions (id BIGSERIAL PRIMARY KEY, request_id TEXT NOT NULL, time TIMESTAMPTZ NOT NULL, caller TEXT NOT NULL,
  model TEXT NOT NULL, version TEXT NOT NULL, protocol TEXT NOT NULL, latency_ms DOUBLE PRECISION NOT NULL, inputs JSONB NOT NULL,
  outputs JSONB NOT NULL, parameters JSONB);
CREATE TABLE "${schema}".feedback (request_id TEXT NOT NULL, row_index INTEGER NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
  prediction_time TIMESTAMPTZ NOT NULL, time TIMESTAMPTZ NOT NULL, kind TEXT NOT NULL, label DOUBLE PRECISION NOT NULL,
  predicted DOUBLE PRECISION NOT NULL, scores JSONB, positive_class INTEGER, PRIMARY KEY (request_id, row_index));
INSERT INTO "${schema}".predictions (request_id, time, caller, model, version, protocol, latency_ms, inputs, outputs, parameters)
  VALUES ('old-1', to_timestamp(${T0} / 1000.0), 'someone', 'digits', '1', 'http', 1, '[]', '${OUTPUTS}', NULL),
         ('old-1', to_timestamp(${T0 + 1} / 1000.0), 'someone', 'cancer', '1', 'http', 1, '[]', '${OUTPUTS}', NULL);
INSERT INTO "${schema}".feedback VALUES ('old-1', 0, 'digits', '1', to_timestamp(${T0} / 1000.0), to_timestamp(${T0 + 60_000} / 1000.0), 'label', 4, 4, NULL, NULL);`;
}

const cancerLabel: FeedbackRecord = {
  requestId: 'old-1',
  principal: 'anonymous',
  row: 0,
  model: 'cancer',
  version: '1',
  predictionTimeMs: T0 + 1,
  timeMs: T0 + 120_000,
  kind: 'label',
  label: 1,
  predicted: 4,
  scores: null,
  positiveClass: null,
};

async function migratedCases(store: FeedbackStore, sink: AuditSink): Promise<void> {
  await store.start(); // the export/replay commands open the feedback store alone, before any server ran
  await sink.start();
  try {
    const [old] = await sink.query({ requestId: 'old-1', model: 'digits', limit: 10 });
    assert.deepEqual([old.caller, old.caller_source, old.claimed_caller], ['someone', 'claimed', null]);
    const labelled = await store.logged({ model: 'digits', sinceMs: 0, labeledOnly: true, limit: 10 });
    assert.deepEqual(
      labelled.map((p) => [p.requestId, p.principal]),
      [['old-1', 'anonymous']],
      'the old label still joins its prediction',
    );
    const labels = await store.labelsFor('digits', ['old-1']);
    assert.deepEqual(
      labels.map((l) => [l.model, l.principal, l.label]),
      [['digits', 'anonymous', 4]],
    );
    assert.equal(await store.insert([cancerLabel]), 1, "another model's label for the same id is not a duplicate");
    assert.equal((await store.predictions(['old-1'], { principal: 'anonymous', model: 'cancer' })).length, 1);
    assert.equal((await store.predictions(['old-1'], { principal: 'key:someone' })).length, 0);
  } finally {
    await store.stop();
    await sink.stop();
  }
}

describe('migrating a prediction log from the previous release', () => {
  const dir = tempDir('inferd-feedback-migration-');
  after(() => dir.cleanup());

  it('SQLite', async () => {
    const path = join(dir.dir, 'audit.db');
    const db = new Database(path);
    db.exec(OLD_SQLITE);
    db.close();
    await migratedCases(new SqliteFeedbackStore({ path, mustExist: true }), new SqliteAuditSink(path, 'async'));
    // Opening it again changes nothing.
    const again = new SqliteFeedbackStore({ path });
    await again.start();
    try {
      assert.deepEqual(
        (await again.labelsFor('cancer', ['old-1'])).map((l) => l.label),
        [1],
      );
      assert.equal((await again.logged({ model: 'digits', sinceMs: 0, labeledOnly: true, limit: 10 })).length, 1);
    } finally {
      await again.stop();
    }
  });

  it('PostgreSQL', async (t) => {
    const pg = await testPostgres();
    if (typeof pg === 'string') return t.skip(pg);
    try {
      const schema = pg.schema('_migration');
      await pg.client.query(oldPostgres(schema));
      await migratedCases(
        new PostgresFeedbackStore({ url: PG_URL, schema }),
        new PostgresAuditSink({ url: PG_URL, schema, durability: 'async' }),
      );
      const key = await pg.client
        .query(`SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = '"${schema}".feedback'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`);
      assert.deepEqual(
        key.rows.map((r: { attname: string }) => r.attname),
        ['model', 'principal', 'request_id', 'row_index'],
      );
    } finally {
      await pg.cleanup();
    }
  });
});
