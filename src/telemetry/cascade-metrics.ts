/**
 * Cascade metrics, read at scrape time from the cascades' report (cascade/cascades.ts), per cascade and path
 * (cheap, expensive):
 *
 * - `inferd_cascade_requests_total` and `inferd_cascade_request_share` (0..1);
 * - `inferd_cascade_labelled_total` and `inferd_cascade_accuracy` (0..1; rows labelled through POST /v1/feedback);
 * - `inferd_cascade_cpu_seconds_per_prediction` and `inferd_cascade_cost_per_1k` (the cheap call, plus the
 *   expensive one on the expensive path, from the cost ledger; docs/cost.md).
 */
import type { Registry } from 'prom-client';
import { registerRowFamily } from './row-family.js';

export interface CascadeFigures {
  readonly cascade: string;
  readonly path: string;
  readonly requests: number;
  readonly share: number;
  readonly labelled: number;
  readonly accuracy: number | undefined;
  readonly cpuSecondsPerPrediction: number;
  readonly costPer1k: number;
}

export function registerCascadeMetrics(
  registry: Registry,
  source: { cascadeReport(): readonly CascadeFigures[] },
): void {
  const family = (
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    value: (r: CascadeFigures) => number | undefined,
  ) =>
    registerRowFamily(registry, {
      name,
      help,
      type,
      labelNames: ['cascade', 'path'],
      rows: () => source.cascadeReport(),
      labels: (r) => [r.cascade, r.path],
      value,
    });
  family(
    'inferd_cascade_requests_total',
    'Requests a cascade answered, by path (cheap, expensive).',
    'counter',
    (r) => r.requests,
  );
  family(
    'inferd_cascade_request_share',
    "Share of a cascade's requests answered by each path.",
    'gauge',
    (r) => r.share,
  );
  family(
    'inferd_cascade_labelled_total',
    'Rows labelled through feedback, by the path that answered.',
    'counter',
    (r) => r.labelled,
  );
  family('inferd_cascade_accuracy', 'Share of labelled rows each path answered right.', 'gauge', (r) => r.accuracy);
  family(
    'inferd_cascade_cpu_seconds_per_prediction',
    'CPU seconds per prediction on each path (the cheap call, plus the expensive one on the expensive path).',
    'gauge',
    (r) => r.cpuSecondsPerPrediction,
  );
  family(
    'inferd_cascade_cost_per_1k',
    'Cost of 1,000 predictions on each path at cost_per_core_hour.',
    'gauge',
    (r) => r.costPer1k,
  );
}
