/**
 * Live model quality metrics: feedback labels received, by result (counted as they arrive), and per model version
 * and window the quality computed from the joined labels. A scrape reads the last computed samples (`source`
 * answers at once; QualityService refreshes them in a worker thread when older than
 * `quality.metrics_refresh_seconds`). Served at /metrics beside the rest (main.ts merges the registry).
 */
import { Counter, Gauge } from 'prom-client';
import { metricGroup, type MetricGroup } from './metric-group.js';

/** One version's quality over one window, as the metrics expose it. */
export interface QualitySample {
  readonly model: string;
  readonly version: string;
  /** The window's spelling, e.g. '1h'. */
  readonly window: string;
  readonly labels: number;
  /** accuracy, precision, recall, f1, roc_auc, log_loss, mae, rmse: the ones defined for this version. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly delayP50Seconds: number | null;
  readonly delayP95Seconds: number | null;
}

export interface FeedbackMetrics extends MetricGroup {
  /** Labels received, by result: accepted, unknown (no logged prediction), duplicate, unusable. */
  readonly labels: Counter<'result'>;
  /** Where the quality gauges read their samples (set once the quality service exists). */
  source: (() => Promise<readonly QualitySample[]>) | undefined;
}

const labelNames = ['model', 'version', 'window'] as const;

/** Declares the feedback and quality metrics on a registry of their own. */
export function createFeedbackMetrics(): FeedbackMetrics {
  // The same object is returned: the gauges read the `source` the quality service sets on it later.
  return metricGroup((registers) => {
    const metrics: Omit<FeedbackMetrics, 'registry'> = {
      labels: new Counter({
        name: 'inferd_feedback_labels_total',
        help: 'Feedback labels received, by result: accepted, unknown (no logged prediction with that request id), duplicate, unusable (the logged outputs cannot be compared).',
        labelNames: ['result'],
        registers,
      }),
      source: undefined,
    };
    const samples = async () => (metrics.source ? metrics.source() : []);
    new Gauge({
      name: 'inferd_model_quality',
      help: 'Quality of a model version from feedback labels that arrived within the window: accuracy, precision, recall, f1 (binary, at the model threshold), roc_auc, log_loss (classifiers with scores), mae, rmse (regression).',
      labelNames: [...labelNames, 'metric'],
      registers,
      async collect() {
        this.reset();
        for (const s of await samples())
          for (const [metric, value] of Object.entries(s.metrics))
            this.set({ model: s.model, version: s.version, window: s.window, metric }, value);
      },
    });
    new Gauge({
      name: 'inferd_model_quality_labels',
      help: 'Feedback labels joined with predictions of a model version within the window.',
      labelNames,
      registers,
      async collect() {
        this.reset();
        for (const s of await samples()) this.set({ model: s.model, version: s.version, window: s.window }, s.labels);
      },
    });
    new Gauge({
      name: 'inferd_model_label_delay_seconds',
      help: 'Time from prediction to its label, quantiles over the labels within the window.',
      labelNames: [...labelNames, 'quantile'],
      registers,
      async collect() {
        this.reset();
        for (const s of await samples()) {
          if (s.delayP50Seconds !== null)
            this.set({ model: s.model, version: s.version, window: s.window, quantile: '0.5' }, s.delayP50Seconds);
          if (s.delayP95Seconds !== null)
            this.set({ model: s.model, version: s.version, window: s.window, quantile: '0.95' }, s.delayP95Seconds);
        }
      },
    });
    return metrics;
  });
}
