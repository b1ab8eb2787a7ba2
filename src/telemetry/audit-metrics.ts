/**
 * Audit trail (prediction log) metrics, recorded as the writer works: records waiting, written and dropped, and
 * the time each batch takes to commit. Served at /metrics beside the rest (main.ts merges the registry).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricGroup, type MetricGroup } from './metric-group.js';

export interface AuditMetrics extends MetricGroup {
  /** Records accepted and not yet committed (the bounded buffer plus the batch being written). */
  readonly buffered: Gauge;
  readonly written: Counter;
  /** Records lost, by reason: overflow (buffer full, policy drop) or write_error (the store failed at shutdown). */
  readonly dropped: Counter<'reason'>;
  /** Batches the store refused (each is retried, or fails its requests in acknowledged mode). */
  readonly writeFailures: Counter;
  readonly writeSeconds: Histogram;
  /** Requests refused because the buffer stayed full (backpressure). */
  readonly refused: Counter;
}

/** Declares the audit metrics on a registry of their own. */
export function createAuditMetrics(): AuditMetrics {
  return metricGroup((registers) => ({
    buffered: new Gauge({
      name: 'inferd_audit_buffered_records',
      help: 'Audit records waiting to be written (buffer plus the batch in flight).',
      registers,
    }),
    written: new Counter({
      name: 'inferd_audit_records_written_total',
      help: 'Audit records committed to the store.',
      registers,
    }),
    dropped: new Counter({
      name: 'inferd_audit_records_dropped_total',
      help: 'Audit records lost: reason overflow (buffer full, overflow: drop) or write_error (store failing at shutdown).',
      labelNames: ['reason'],
      registers,
    }),
    writeFailures: new Counter({
      name: 'inferd_audit_write_failures_total',
      help: 'Audit batches the store failed to commit (retried, or failing their requests in acknowledged mode).',
      registers,
    }),
    writeSeconds: new Histogram({
      name: 'inferd_audit_write_seconds',
      help: 'Time to commit one batch of audit records.',
      registers,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    refused: new Counter({
      name: 'inferd_audit_backpressure_refusals_total',
      help: 'Requests refused with 503 because the audit buffer stayed full (overflow: backpressure or acknowledged durability).',
      registers,
    }),
  }));
}
