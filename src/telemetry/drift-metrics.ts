/**
 * Drift metrics per model version: the last evaluated window's statistic per feature (and prediction) with its
 * threshold and drifted flag, rows counted and dropped, evaluations, and webhook calls. Read from the drift
 * monitor at scrape time (nothing on the request path), served at /metrics beside the rest.
 */
import { Registry } from 'prom-client';
import { rowMetric } from './metric-group.js';

/** A statistic of the last evaluated window of a version. */
export interface DriftStatisticRow {
  readonly model: string;
  readonly version: string;
  /** A feature name, or a prediction's name (e.g. probabilities[1], label). */
  readonly feature: string;
  /** input or prediction. */
  readonly source: string;
  readonly statistic: string;
  readonly value: number;
  readonly threshold: number;
  readonly drifted: boolean;
}

export interface DriftVersionRow {
  readonly model: string;
  readonly version: string;
  readonly evaluations: number;
  readonly rowsCounted: number;
  readonly rowsDropped: number;
  readonly windowRows: number;
  readonly webhookSent: number;
  readonly webhookFailed: number;
  readonly webhookSuppressed: number;
}

/** What the metrics read; the drift monitor provides it. */
export interface DriftSource {
  statisticRows(): readonly DriftStatisticRow[];
  versionRows(): readonly DriftVersionRow[];
}

const STAT = ['model', 'version', 'feature', 'source', 'statistic'] as const;
const VERSION = ['model', 'version'] as const;

function statGauge(
  registry: Registry,
  source: DriftSource,
  name: string,
  help: string,
  value: (r: DriftStatisticRow) => number,
): void {
  rowMetric([registry], {
    kind: 'gauge',
    name,
    help,
    labels: STAT,
    rows: () => source.statisticRows(),
    labelsOf: (r) => ({
      model: r.model,
      version: r.version,
      feature: r.feature,
      source: r.source,
      statistic: r.statistic,
    }),
    value,
  });
}

function versionMetric(
  registry: Registry,
  source: DriftSource,
  def: { kind: 'gauge' | 'counter'; name: string; help: string; value: (r: DriftVersionRow) => number },
): void {
  rowMetric([registry], {
    ...def,
    labels: VERSION,
    rows: () => source.versionRows(),
    labelsOf: (r) => ({ model: r.model, version: r.version }),
  });
}

/** The /metrics registry with the drift metrics added. */
export function withDriftMetrics(registry: Registry, source: DriftSource): Registry {
  const own = new Registry();
  statGauge(
    own,
    source,
    'inferd_drift_statistic',
    'Drift statistic of the last evaluated window against the profile (psi, ks, js, missing_rate).',
    (r) => r.value,
  );
  statGauge(
    own,
    source,
    'inferd_drift_threshold',
    'Threshold above which the statistic counts as drift.',
    (r) => r.threshold,
  );
  statGauge(
    own,
    source,
    'inferd_drift_detected',
    '1 when the statistic of the last evaluated window is over its threshold, else 0.',
    (r) => (r.drifted ? 1 : 0),
  );
  versionMetric(own, source, {
    kind: 'counter',
    name: 'inferd_drift_evaluations_total',
    help: 'Times the rolling drift window was compared with the profile (once per slice).',
    value: (r) => r.evaluations,
  });
  versionMetric(own, source, {
    kind: 'counter',
    name: 'inferd_drift_rows_total',
    help: 'Sampled rows counted into drift windows.',
    value: (r) => r.rowsCounted,
  });
  versionMetric(own, source, {
    kind: 'counter',
    name: 'inferd_drift_rows_dropped_total',
    help: 'Sampled rows not counted because the drift buffer was full.',
    value: (r) => r.rowsDropped,
  });
  versionMetric(own, source, {
    kind: 'gauge',
    name: 'inferd_drift_window_rows',
    help: 'Rows in the rolling drift window now.',
    value: (r) => r.windowRows,
  });
  versionMetric(own, source, {
    kind: 'counter',
    name: 'inferd_drift_webhook_calls_total',
    help: 'Drift webhook calls answered with 2xx.',
    value: (r) => r.webhookSent,
  });
  versionMetric(own, source, {
    kind: 'counter',
    name: 'inferd_drift_webhook_failures_total',
    help: 'Drift webhook calls that failed (error, timeout or non-2xx).',
    value: (r) => r.webhookFailed,
  });
  versionMetric(own, source, {
    kind: 'counter',
    name: 'inferd_drift_webhook_suppressed_total',
    help: 'Drifted windows that did not call the webhook because its cooldown had not passed.',
    value: (r) => r.webhookSuppressed,
  });
  return Registry.merge([registry, own]);
}
