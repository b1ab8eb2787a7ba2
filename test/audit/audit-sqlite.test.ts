/**
 * The audit trail end to end on the embedded store: predictions land in the SQLite file with every field, the query
 * API filters, overflow drops are counted, sampling and the off switch hold.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { RunningServer } from '../../src/index.js';
import { DIGITS, inferDigits, metricValue, queryPredictions, startAuditServer, tempDir } from './audit-helpers.js';
import { startTestServer } from '../helpers/server.js';

const tmp = tempDir('inferd-audit-');
after(() => tmp.cleanup());

describe('audit trail on SQLite', () => {
  let server: RunningServer;
  const path = join(tmp.dir, 'fields', 'audit.db');
  /**
   * The client's clock readings just before fields-1 was sent and just after its answer came (the server runs in
   * this process, on the same clocks): what the server records for it happened in between, however slow the machine.
   */
  const fields1 = { sentAt: 0, answeredAt: 0, sentMs: 0, answeredMs: 0 };

  before(async () => {
    server = await startAuditServer({ path, max_elements: 32 });
    fields1.sentAt = Date.now();
    fields1.sentMs = performance.now();
    assert.equal(
      await inferDigits(server.url, { id: 'fields-1', row: 0, caller: 'test-suite', parameters: { priority: 1 } }),
      200,
    );
    fields1.answeredMs = performance.now();
    fields1.answeredAt = Date.now();
    assert.equal(await inferDigits(server.url, { id: 'fields-2', row: 1 }), 200);
    await server.inferd.audit!.flush();
  });
  after(async () => server?.close());

  it('records every field of a prediction', async () => {
    const { status, predictions } = await queryPredictions(server.url, 'request_id=fields-1');
    assert.equal(status, 200);
    assert.equal(predictions.length, 1);
    const p = predictions[0];
    assert.deepEqual(
      [p.request_id, p.caller, p.model, p.version, p.protocol],
      ['fields-1', 'test-suite', 'digits', '1', 'http'],
    );
    // Ordered against the client's readings around the request, not against a tolerance.
    const time = Date.parse(p.time);
    assert.ok(
      fields1.sentAt <= time && time <= fields1.answeredAt,
      `time ${p.time} is not between the request (${new Date(fields1.sentAt).toISOString()}) and its answer`,
    );
    const clientMs = fields1.answeredMs - fields1.sentMs;
    assert.ok(
      p.latency_ms > 0 && p.latency_ms <= clientMs,
      `latency_ms ${p.latency_ms}: not within the ${clientMs} ms the client waited for the answer`,
    );
    assert.deepEqual(p.parameters, { priority: 1 });
    const [input] = p.inputs;
    assert.deepEqual(
      { ...input, data: undefined },
      { name: 'input', datatype: 'FP32', shape: [1, 64], data: undefined, truncated: { kept: 32, total: 64 } },
    );
    assert.deepEqual(input.data, DIGITS.inputs[0].slice(0, 32));
    const label = p.outputs.find((o) => o.name === 'label')!;
    assert.deepEqual(label.data, [DIGITS.labels[0]]);
    assert.equal(p.outputs.find((o) => o.name === 'logits')!.data!.length, 10);
  });

  it('names the caller anonymous when the request gives none', async () => {
    const { predictions } = await queryPredictions(server.url, 'request_id=fields-2');
    assert.equal(predictions[0].caller, 'anonymous');
    assert.deepEqual(predictions[0].outputs.find((o) => o.name === 'label')!.data, [DIGITS.labels[1]]);
  });

  it('writes the rows into the SQLite file', () => {
    const db = new Database(path, { readonly: true });
    try {
      const rows = db
        .prepare('SELECT request_id, caller, model, version, protocol FROM predictions ORDER BY request_id')
        .all();
      assert.deepEqual(rows, [
        { request_id: 'fields-1', caller: 'test-suite', model: 'digits', version: '1', protocol: 'http' },
        { request_id: 'fields-2', caller: 'anonymous', model: 'digits', version: '1', protocol: 'http' },
      ]);
    } finally {
      db.close();
    }
  });
});

describe('GET /v1/predictions', () => {
  let server: RunningServer;
  let middle: string;

  before(async () => {
    server = await startAuditServer({ path: join(tmp.dir, 'query', 'audit.db') });
    for (const id of ['q-1', 'q-2']) assert.equal(await inferDigits(server.url, { id }), 200);
    await server.inferd.audit!.flush();
    await new Promise((r) => setTimeout(r, 20));
    middle = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    const cancer = { id: 'q-3', values: Array.from({ length: 30 }, (_, i) => i / 3), model: 'breast_cancer' };
    assert.equal(await inferDigits(server.url, cancer), 200);
    assert.equal(await inferDigits(server.url, { id: 'q-4' }), 200);
    await server.inferd.audit!.flush();
  });
  after(async () => server?.close());

  const ids = async (query: string) => (await queryPredictions(server.url, query)).predictions.map((p) => p.request_id);

  it('filters by model, since and request_id, newest first, up to limit', async () => {
    assert.deepEqual(await ids(''), ['q-4', 'q-3', 'q-2', 'q-1']);
    assert.deepEqual(await ids('model=breast_cancer'), ['q-3']);
    assert.deepEqual(await ids(`since=${encodeURIComponent(middle)}`), ['q-4', 'q-3']);
    assert.deepEqual(await ids(`model=digits&since=${Date.parse(middle)}`), ['q-4']);
    assert.deepEqual(await ids('request_id=q-2'), ['q-2']);
    assert.deepEqual(await ids('limit=2'), ['q-4', 'q-3']);
    assert.deepEqual(await ids('model=nope'), []);
  });

  it('answers 400 with what is wrong for a bad query', async () => {
    const r = await queryPredictions(server.url, 'since=last-week');
    assert.equal(r.status, 400);
    assert.match(r.error!, /since='last-week' is not a time/);
  });

  it('answers 404 with how to turn it on when the audit trail is off', async () => {
    const plain = await startTestServer();
    try {
      const r = await queryPredictions(plain.url, '');
      assert.equal(r.status, 404);
      assert.match(r.error!, /audit trail is off .*audit\.enabled: true/);
    } finally {
      await plain.close();
    }
  });
});

describe('audit overflow and sampling', () => {
  it('drops and counts records when the buffer is full (overflow: drop), and never fails a request for it', async () => {
    const server = await startAuditServer({
      path: join(tmp.dir, 'drop', 'audit.db'),
      buffer_size: 1,
      overflow: 'drop',
    });
    try {
      const n = 64;
      const statuses = await Promise.all(
        Array.from({ length: n }, (_, i) => inferDigits(server.url, { id: `d-${i}`, row: i % 10 })),
      );
      assert.deepEqual(new Set(statuses), new Set([200]));
      await server.inferd.audit!.flush();
      const dropped = await metricValue(server.metricsUrl!, 'inferd_audit_records_dropped_total{reason="overflow"}');
      const written = await metricValue(server.metricsUrl!, 'inferd_audit_records_written_total');
      assert.ok(dropped > 0, 'expected drops with buffer_size 1 under 64 concurrent requests');
      assert.equal(written + dropped, n);
      assert.equal((await queryPredictions(server.url, 'limit=1000')).predictions.length, written);
    } finally {
      await server.close();
    }
  });

  it('records nothing at sample_rate 0', async () => {
    const server = await startAuditServer({ path: join(tmp.dir, 'sample', 'audit.db'), sample_rate: 0 });
    try {
      for (let i = 0; i < 5; i++) assert.equal(await inferDigits(server.url, { id: `s-${i}` }), 200);
      await server.inferd.audit!.flush();
      assert.equal((await queryPredictions(server.url, '')).predictions.length, 0);
    } finally {
      await server.close();
    }
  });
});
