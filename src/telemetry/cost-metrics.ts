/**
 * Cost metrics, read from the versions' statistics at scrape time (docs/cost.md says how the CPU is measured and
 * shared):
 *
 * - `inferd_request_cpu_seconds_total{model,version,path,stage}`: CPU seconds by stage (decode, features, queue,
 *   compute, encode, other); path is the door (http, grpc, v1, library);
 * - `inferd_request_cpu_seconds_per_request{model,version,path}` and
 *   `inferd_request_cost_per_1k{model,version,path}` at the configured price of a core-hour;
 * - `inferd_unattributed_cpu_seconds_total`: process CPU used while no request was measured.
 */
import { Gauge, type Registry } from 'prom-client';
import { registerRowFamily } from './row-family.js';

export interface CostFigures {
  readonly path: string;
  readonly requests: number;
  readonly cpuSeconds: Readonly<Record<string, number>>;
  readonly cpuSecondsPerRequest: number;
  readonly costPer1k: number;
}

export interface CostMetricsSource {
  statistics(): ReadonlyArray<{
    readonly name: string;
    readonly version: string;
    readonly cost?: readonly CostFigures[] | undefined;
  }>;
  readonly cost: { readonly ledger: { readonly unattributed: number } };
}

export function registerCostMetrics(registry: Registry, source: CostMetricsSource): void {
  const paths = () =>
    source.statistics().flatMap((r) => (r.cost ?? []).map((c) => ({ model: r.name, version: r.version, c })));
  registerRowFamily(registry, {
    name: 'inferd_request_cpu_seconds_total',
    help: 'CPU seconds spent on requests, by model, version, path and stage; they add up to the process CPU time.',
    type: 'counter',
    labelNames: ['model', 'version', 'path', 'stage'],
    rows: () => paths().flatMap((p) => Object.entries(p.c.cpuSeconds).map(([stage, s]) => ({ ...p, stage, s }))),
    labels: (r) => [r.model, r.version, r.c.path, r.stage],
    value: (r) => r.s,
  });
  const perPath = (name: string, help: string, value: (c: CostFigures) => number) =>
    registerRowFamily(registry, {
      name,
      help,
      type: 'gauge',
      labelNames: ['model', 'version', 'path'],
      rows: paths,
      labels: (r) => [r.model, r.version, r.c.path],
      value: (r) => value(r.c),
    });
  perPath(
    'inferd_request_cpu_seconds_per_request',
    'CPU seconds per request, all stages.',
    (c) => c.cpuSecondsPerRequest,
  );
  perPath('inferd_request_cost_per_1k', 'Cost of 1,000 requests at cost_per_core_hour.', (c) => c.costPer1k);
  new Gauge({
    name: 'inferd_unattributed_cpu_seconds_total',
    help: 'Process CPU seconds used while no request was measured (idle timers, scrapes, loading).',
    registers: [registry],
    collect() {
      this.set(source.cost.ledger.unattributed);
    },
  });
}
