/**
 * Prometheus metrics, declared in one place. Process and Node.js runtime metrics (CPU, memory, event-loop delay
 * percentiles) come from prom-client's defaults; model metrics are read from the schedulers' statistics at
 * scrape time, so the request path does no metric work.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** What the metrics need from the core: per-version statistics. */
export interface StatisticsSource {
  statistics(): ReadonlyArray<{
    readonly name: string;
    readonly version: string;
    readonly inferenceCount: number;
    readonly executionCount: number;
    readonly success: { readonly count: number; readonly ns: number };
    readonly fail: { readonly count: number; readonly ns: number };
    readonly queue: { readonly count: number; readonly ns: number };
    readonly computeInfer: { readonly count: number; readonly ns: number };
    readonly rejected: number;
    readonly timedOut: number;
    readonly queueDepth: number;
  }>;
}

type Row = ReturnType<StatisticsSource['statistics']>[number];

const labelNames = ['model', 'version'] as const;

/** Builds the registry served at /metrics. */
export function createMetrics(source: StatisticsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  // Counters mirror the schedulers' own totals: reset and re-add at each scrape.
  const counter = (name: string, help: string, value: (r: Row) => number) =>
    new Counter({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        for (const r of source.statistics()) this.inc({ model: r.name, version: r.version }, value(r));
      },
    });
  counter('inferd_inference_success_total', 'Requests answered successfully.', (r) => r.success.count);
  counter('inferd_inference_failure_total', 'Requests that failed, were refused or timed out.', (r) => r.fail.count);
  counter('inferd_inference_rejected_total', 'Requests refused because the queue was full.', (r) => r.rejected);
  counter('inferd_inference_timeout_total', 'Requests that passed their queue timeout without running.', (r) => r.timedOut);
  counter('inferd_inference_rows_total', 'Rows inferred; a batch of 8 counts 8.', (r) => r.inferenceCount);
  counter('inferd_inference_executions_total', 'Runtime calls; a batch of 8 counts 1.', (r) => r.executionCount);
  counter('inferd_inference_queue_seconds_total', 'Total time requests waited in the queue.', (r) => r.queue.ns / 1e9);
  counter('inferd_inference_compute_seconds_total', 'Total time spent computing.', (r) => r.computeInfer.ns / 1e9);
  new Gauge({
    name: 'inferd_queue_depth', help: 'Requests waiting in the queue now.', labelNames, registers: [registry],
    collect() {
      this.reset();
      for (const r of source.statistics()) this.set({ model: r.name, version: r.version }, r.queueDepth);
    },
  });
  return registry;
}
