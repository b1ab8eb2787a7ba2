import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../telemetry/logger.js';
import { createAuditMetrics, type AuditMetrics } from '../telemetry/audit-metrics.js';
import type { AuditRecord } from './audit-record.js';
import type { AuditSink } from './audit-sink.js';
import { AuditWriter, type AuditWriterOptions } from './audit-writer.js';
import { sampleRecord } from './audit-sink.case.test.js';

/** A sink held shut until `open()`; it can be told to fail. */
class GatedSink implements AuditSink {
  readonly kind = 'test';
  readonly batches: AuditRecord[][] = [];
  failing = false;
  /** Resolves once a write has failed. */
  readonly failedOnce: Promise<void>;
  private failed: () => void = () => undefined;
  private gate: Promise<void> = new Promise(() => undefined);
  private release: () => void = () => undefined;

  constructor(open = true) {
    this.failedOnce = new Promise((resolve) => (this.failed = resolve));
    if (open) this.open();
    else this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.gate = Promise.resolve();
    this.release();
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async query() {
    return [];
  }
  async deleteBefore() {
    return 0;
  }
  async probe(): Promise<void> {
    if (this.failing) throw new Error('store down');
  }
  async write(records: readonly AuditRecord[]): Promise<void> {
    await this.gate;
    if (this.failing) {
      this.failed();
      throw new Error('store down');
    }
    this.batches.push([...records]);
  }
}

async function metricValue(metrics: AuditMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const json = await metrics.registry.getMetricsAsJSON();
  const metric = json.find((m) => m.name === name);
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

function writer(sink: AuditSink, overrides: Partial<AuditWriterOptions> = {}) {
  const metrics = createAuditMetrics();
  const options = {
    sink,
    capacity: 3,
    overflow: 'drop' as const,
    acknowledged: false,
    backpressureWaitMs: 1000,
    metrics,
    logger: silentLogger(),
    ...overrides,
  };
  return { writer: new AuditWriter(options), metrics };
}

const rec = (id: string) => sampleRecord({ requestId: id });

describe('AuditWriter', () => {
  it('writes what accumulated in one turn as one batch', async () => {
    const sink = new GatedSink();
    const { writer: w, metrics } = writer(sink, { capacity: 100 });
    for (let i = 0; i < 5; i++) assert.equal(w.push(rec(`r${i}`), false), undefined);
    await w.flush();
    assert.deepEqual(
      sink.batches.map((b) => b.length),
      [5],
    );
    assert.equal(await metricValue(metrics, 'inferd_audit_records_written_total'), 5);
    assert.equal(await metricValue(metrics, 'inferd_audit_buffered_records'), 0);
  });

  it('drops and counts records that find the buffer full (overflow: drop)', async () => {
    const sink = new GatedSink(false);
    const { writer: w, metrics } = writer(sink, { capacity: 3 });
    for (let i = 0; i < 5; i++) w.push(rec(`r${i}`), false);
    assert.equal(w.pending, 3);
    assert.equal(await metricValue(metrics, 'inferd_audit_records_dropped_total', { reason: 'overflow' }), 2);
    sink.open();
    await w.flush();
    assert.deepEqual(
      sink.batches.flat().map((r) => r.requestId),
      ['r0', 'r1', 'r2'],
    );
  });

  it('makes requests wait for room under backpressure, then lets them in', async () => {
    const sink = new GatedSink(false);
    const { writer: w } = writer(sink, { capacity: 2, overflow: 'backpressure' });
    assert.equal(w.waitForRoom(), undefined);
    w.push(rec('a'), false);
    w.push(rec('b'), false);
    let admitted = false;
    const room = w.waitForRoom()!.then(() => (admitted = true));
    await sleep(20);
    assert.equal(admitted, false);
    sink.open();
    await room;
    assert.equal(admitted, true);
  });

  it('refuses with 503 when the buffer stays full past backpressure_wait_ms', async () => {
    const { writer: w, metrics } = writer(new GatedSink(false), {
      capacity: 1,
      overflow: 'backpressure',
      backpressureWaitMs: 30,
    });
    w.push(rec('a'), false);
    await assert.rejects(
      w.waitForRoom()!,
      (err: Error & { code?: string }) =>
        err.code === 'UNAVAILABLE' && /buffer is full .*audit\.overflow: drop/.test(err.message),
    );
    assert.equal(await metricValue(metrics, 'inferd_audit_backpressure_refusals_total'), 1);
  });

  it('settles an acknowledged record only once its batch is committed', async () => {
    const sink = new GatedSink(false);
    const { writer: w } = writer(sink, { acknowledged: true });
    let done = false;
    const ack = w.push(rec('ack'), true)!.then(() => (done = true));
    await sleep(20);
    assert.equal(done, false);
    sink.open();
    await ack;
    assert.equal(sink.batches.flat()[0].requestId, 'ack');
  });

  it('fails acknowledged records with 503 when the store fails, and retries the others', async () => {
    const sink = new GatedSink();
    sink.failing = true;
    const { writer: w, metrics } = writer(sink, { capacity: 10 });
    const ack = w.push(rec('ack'), true)!;
    w.push(rec('async'), false);
    await assert.rejects(
      ack,
      (err: Error & { code?: string }) =>
        err.code === 'UNAVAILABLE' && /withheld because audit\.durability is acknowledged/.test(err.message),
    );
    sink.failing = false;
    await w.flush();
    assert.deepEqual(
      sink.batches.flat().map((r) => r.requestId),
      ['async'],
    );
    assert.ok((await metricValue(metrics, 'inferd_audit_write_failures_total')) >= 1);
  });

  it('gives up on a failing store when stopping, counting what was lost', async () => {
    const sink = new GatedSink();
    sink.failing = true;
    const { writer: w, metrics } = writer(sink, { capacity: 10 });
    w.push(rec('lost'), false);
    await sink.failedOnce; // the writer has tried the store and holds the record for a retry
    await w.stop();
    assert.equal(await metricValue(metrics, 'inferd_audit_records_dropped_total', { reason: 'write_error' }), 1);
  });
});
