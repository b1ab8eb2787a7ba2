/**
 * The audit trail on the shared store: a server with `audit.store: postgres` records predictions in the real test
 * PostgreSQL with every field, answers the query API from it, and never stores a redacted value in clear.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { REDACTED } from '../../src/audit/redaction.js';
import { DIGITS, inferDigits, queryPredictions, startAuditServer } from './audit-helpers.js';
import { PG_URL, testPostgres } from './postgres.js';
import { REDACT, assertNoSecret, sendSecrets } from './secrets.js';

const pgTest = await testPostgres();
const skip = typeof pgTest === 'string' ? pgTest : undefined;

describe('audit trail on PostgreSQL', { skip }, () => {
  const db = pgTest as Exclude<typeof pgTest, string>;
  const schema = db.schema?.('_server');
  let server: RunningServer;

  before(async () => {
    server = await startAuditServer({
      store: 'postgres',
      url: PG_URL,
      postgres_schema: schema,
      durability: 'acknowledged',
      redact: REDACT,
    });
    assert.equal(
      await inferDigits(server.url, { id: 'pg-1', row: 2, caller: 'pg-suite', parameters: { priority: 1 } }),
      200,
    );
    await sendSecrets(server.url);
  });
  after(async () => {
    await server?.close();
    await db.cleanup();
  });

  it('commits each acknowledged prediction before answering, with every field', async () => {
    // No flush: in acknowledged mode the row is committed before the 200.
    const { rows } = await db.client.query(
      `SELECT request_id, caller, model, version, protocol, latency_ms, outputs, parameters FROM "${schema}".predictions WHERE request_id = 'pg-1'`,
    );
    assert.equal(rows.length, 1);
    const row = rows[0] as {
      request_id: string;
      caller: string;
      model: string;
      version: string;
      protocol: string;
      latency_ms: number;
      outputs: Array<{ name: string; data: unknown[] }>;
      parameters: unknown;
    };
    assert.deepEqual(
      [row.request_id, row.caller, row.model, row.version, row.protocol],
      ['pg-1', 'pg-suite', 'digits', '1', 'http'],
    );
    assert.ok(row.latency_ms > 0);
    assert.deepEqual(row.outputs.find((o) => o.name === 'label')!.data, [DIGITS.labels[2]]);
    assert.deepEqual(row.parameters, { priority: 1 });
  });

  it('answers GET /v1/predictions from PostgreSQL', async () => {
    const { status, predictions } = await queryPredictions(server.url, 'request_id=pg-1');
    assert.equal(status, 200);
    assert.equal(predictions[0].caller, 'pg-suite');
    assert.equal(predictions[0].inputs[0].redacted, REDACTED);
    assert.deepEqual(await queryPredictions(server.url, 'model=digits&limit=1').then((r) => r.predictions.length), 1);
  });

  it('never stores a redacted value in clear', async () => {
    const { rows } = await db.client.query(`SELECT t::text AS row FROM "${schema}".predictions t`);
    const text = rows.map((r: { row: string }) => r.row).join('\n');
    assert.ok(text.includes('secret-ok'), 'the secret-bearing prediction is stored');
    assertNoSecret(text, `the PostgreSQL rows of ${schema}.predictions`);
  });
});
