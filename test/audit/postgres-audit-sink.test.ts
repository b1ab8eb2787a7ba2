/**
 * PostgresAuditSink against the real test PostgreSQL, through the shared AuditSink cases, in a schema of its own.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PostgresAuditSink } from '../../src/audit/postgres/postgres-audit-sink.js';
import { auditSinkCases } from '../../src/audit/audit-sink.case.test.js';
import { PG_URL, testPostgres } from './postgres.js';

const pgTest = await testPostgres();
const skip = typeof pgTest === 'string' ? pgTest : undefined;
after(async () => {
  if (typeof pgTest !== 'string') await pgTest.cleanup();
});

const schema = (suffix: string) => (typeof pgTest === 'string' ? 'unused' : pgTest.schema(suffix));
auditSinkCases(
  'postgres (async)',
  async () => new PostgresAuditSink({ url: PG_URL, schema: schema('_async'), durability: 'async' }),
  skip,
);
auditSinkCases(
  'postgres (acknowledged)',
  async () => new PostgresAuditSink({ url: PG_URL, schema: schema('_ack'), durability: 'acknowledged' }),
  skip,
);

describe('PostgresAuditSink start-up errors', () => {
  it('names the store it cannot reach (without the password) and what to check', async () => {
    const sink = new PostgresAuditSink({
      url: 'postgres://inferd:hunter2@127.0.0.1:1/audit',
      schema: 'public',
      durability: 'async',
    });
    await assert.rejects(sink.start(), (err: Error) => {
      assert.match(
        err.message,
        /cannot prepare the audit table "public"\.predictions at postgres:\/\/inferd:\*\*\*@127\.0\.0\.1:1\/audit: .*check audit\.url/,
      );
      assert.ok(!err.message.includes('hunter2'), err.message);
      return true;
    });
  });
});
