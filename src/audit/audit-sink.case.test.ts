/**
 * The behaviour every AuditSink must have. Each implementation's test calls `auditSinkCases` with a factory; run
 * on its own, this file defines no tests.
 *
 * @example auditSinkCases('sqlite', async () => new SqliteAuditSink(path, 'async'));
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';
import { REDACTED } from './redaction.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** A record with distinctive values in every field. */
export function sampleRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    requestId: 'req-1',
    timeMs: T0,
    caller: 'billing-service',
    principal: 'anonymous',
    claimedCaller: 'billing-service',
    model: 'digits',
    version: '1',
    protocol: 'http',
    latencyMs: 1.25,
    inputs: [
      {
        name: 'input',
        datatype: 'FP32',
        shape: [1, 4],
        data: new Float32Array([0.5, 1, 2, 3]),
        total: 4,
        redacted: false,
      },
      { name: 'ssn', datatype: 'BYTES', shape: [1], data: undefined, total: 1, redacted: true },
    ],
    outputs: [
      { name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([7n]), total: 1, redacted: false },
      {
        name: 'logits',
        datatype: 'FP32',
        shape: [1, 10],
        data: new Float32Array([1, 2, 3]),
        total: 10,
        redacted: false,
      },
      { name: 'tag', datatype: 'BYTES', shape: [1], data: ['seven'], total: 1, redacted: false },
    ],
    parameters: { priority: 1, api_key: REDACTED },
    ...overrides,
  };
}

/**
 * Runs the shared cases against a fresh sink from `make` (started by the cases, stopped after them).
 * `skip`: a reason to skip them all (e.g. the store's server is unreachable).
 */
export function auditSinkCases(name: string, make: () => Promise<AuditSink>, skip?: string): void {
  describe(`AuditSink cases: ${name}`, { skip }, () => {
    let sink: AuditSink;
    before(async () => {
      sink = await make();
      await sink.start();
    });
    after(async () => {
      await sink?.stop();
    });

    it('stores every field of a record and returns it as JSON', async () => {
      await sink.write([sampleRecord({ requestId: 'fields-1' })]);
      const [p] = await sink.query({ requestId: 'fields-1', limit: 10 });
      assert.equal(p.request_id, 'fields-1');
      assert.equal(p.time, '2026-03-01T12:00:00.000Z');
      assert.deepEqual(
        [p.caller, p.model, p.version, p.protocol, p.latency_ms],
        ['billing-service', 'digits', '1', 'http', 1.25],
      );
      assert.deepEqual(p.inputs, [
        { name: 'input', datatype: 'FP32', shape: [1, 4], data: [0.5, 1, 2, 3] },
        { name: 'ssn', datatype: 'BYTES', shape: [1], redacted: REDACTED },
      ]);
      assert.deepEqual(p.outputs, [
        { name: 'label', datatype: 'INT64', shape: [1], data: [7] },
        { name: 'logits', datatype: 'FP32', shape: [1, 10], data: [1, 2, 3], truncated: { kept: 3, total: 10 } },
        { name: 'tag', datatype: 'BYTES', shape: [1], data: ['seven'] },
      ]);
      assert.deepEqual(p.parameters, { priority: 1, api_key: REDACTED });
    });

    it('stores a record without parameters as null', async () => {
      await sink.write([sampleRecord({ requestId: 'no-params', parameters: undefined })]);
      const [p] = await sink.query({ requestId: 'no-params', limit: 1 });
      assert.equal(p.parameters, null);
    });

    it('writes a batch as a whole and filters by model, time and request id, newest first', async () => {
      const batch = [0, 1, 2, 3].map((i) =>
        sampleRecord({ requestId: `batch-${i}`, model: i % 2 ? 'odd' : 'even', timeMs: T0 + 60_000 * (i + 1) }),
      );
      await sink.write(batch);
      const odd = await sink.query({ model: 'odd', limit: 10 });
      assert.deepEqual(
        odd.map((p) => p.request_id),
        ['batch-3', 'batch-1'],
      );
      const since = await sink.query({ sinceMs: T0 + 60_000 * 3, limit: 10 });
      assert.deepEqual(
        since.map((p) => p.request_id),
        ['batch-3', 'batch-2'],
      );
      const limited = await sink.query({ sinceMs: T0 + 1, limit: 3 });
      assert.deepEqual(
        limited.map((p) => p.request_id),
        ['batch-3', 'batch-2', 'batch-1'],
      );
      const both = await sink.query({ model: 'even', sinceMs: T0 + 60_000 * 2, limit: 10 });
      assert.deepEqual(
        both.map((p) => p.request_id),
        ['batch-2'],
      );
    });

    it('deletes records older than a time and says how many', async () => {
      await sink.write([
        sampleRecord({ requestId: 'old', timeMs: T0 - 86_400_000 * 40 }),
        sampleRecord({ requestId: 'young', timeMs: T0 - 1000 }),
      ]);
      const deleted = await sink.deleteBefore(T0 - 86_400_000 * 30);
      assert.equal(deleted, 1);
      assert.equal((await sink.query({ requestId: 'old', limit: 1 })).length, 0);
      assert.equal((await sink.query({ requestId: 'young', limit: 1 })).length, 1);
    });

    it('keeps JSON-unsafe values readable: NaN as null, huge INT64 as text', async () => {
      const record = sampleRecord({
        requestId: 'unsafe',
        inputs: [
          { name: 'f', datatype: 'FP64', shape: [2], data: new Float64Array([NaN, 1.5]), total: 2, redacted: false },
          { name: 'i', datatype: 'INT64', shape: [1], data: new BigInt64Array([2n ** 62n]), total: 1, redacted: false },
        ],
      });
      await sink.write([record]);
      const [p] = await sink.query({ requestId: 'unsafe', limit: 1 });
      assert.deepEqual(
        p.inputs.map((t) => t.data),
        [[null, 1.5], [String(2n ** 62n)]],
      );
    });
  });
}
