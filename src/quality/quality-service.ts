/**
 * Live quality reports from the stored labels: GET /v1/models/{m}/quality (computed when asked) and the samples
 * behind the /metrics gauges (computed for every model with labels, reused for metrics_refresh_seconds so
 * several gauges and scrapers share one read). Also runs the labels' retention beside the prediction log's.
 */
import type { QualityWindowSpec } from '../config/quality-config.js';
import type { QualitySample } from '../telemetry/quality-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { FeedbackRecord, FeedbackStore } from './feedback-store.js';
import { qualityByVersion, type VersionQuality } from './quality-report.js';

export interface QualityWindow {
  /** e.g. '1h'. */
  readonly window: string;
  /** Labels that arrived at or after this time count, ms since the epoch. */
  readonly sinceMs: number;
  /**
   * True when the window held more labels than `quality.max_labels`: its figures then count only the newest
   * max_labels labels of the model.
   */
  readonly truncated: boolean;
  readonly versions: readonly VersionQuality[];
}

export interface QualityReport {
  readonly model: string;
  readonly windows: readonly QualityWindow[];
}

export interface QualityServiceOptions {
  readonly store: FeedbackStore;
  readonly windows: readonly QualityWindowSpec[];
  readonly metricsRefreshSeconds: number;
  /** Most labels read per model for a report (the newest); default 100,000. */
  readonly maxLabels?: number;
  /** Labels older than this many days are deleted (the prediction log's retention_days; 0: kept). */
  readonly retentionDays: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

const DAY_MS = 86_400_000;
const DEFAULT_MAX_LABELS = 100_000;

interface LabelsRead {
  readonly rows: readonly FeedbackRecord[];
  /** Older labels in the window were left out. */
  readonly cut: boolean;
}

/** The numbers of a version's report that are defined, by metric name. */
function definedMetrics(v: VersionQuality): Record<string, number> {
  const c = v.classification;
  const r = v.regression;
  const all: Record<string, number | null | undefined> = {
    accuracy: c?.accuracy, precision: c?.binary?.precision, recall: c?.binary?.recall, f1: c?.binary?.f1,
    roc_auc: c?.rocAuc, log_loss: c?.logLoss, mae: r?.mae, rmse: r?.rmse,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

export class QualityService {
  private readonly now: () => number;
  private cached: { atMs: number; samples: Promise<QualitySample[]> } | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: QualityServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Starts retention (hourly) when the prediction log has one. */
  start(): void {
    if (this.options.retentionDays <= 0) return;
    this.retentionTimer = setInterval(() => void this.runRetention(), 3_600_000);
    this.retentionTimer.unref();
  }

  stop(): void {
    clearInterval(this.retentionTimer);
  }

  /** The model's quality per window (the configured ones unless `windows` is given). */
  async report(model: string, windows: readonly QualityWindowSpec[] = this.options.windows): Promise<QualityReport> {
    const now = this.now();
    const read = await this.read(now - Math.max(...windows.map((w) => w.ms)), model);
    return { model, windows: this.windows(read, windows, now) };
  }

  /**
   * A model's labels since `sinceMs`, at most maxLabels of them (the newest), oldest first, and whether older
   * ones were left out (one more than the cap is asked for, to know).
   */
  private async read(sinceMs: number, model: string): Promise<LabelsRead> {
    const rows = await this.options.store.window(sinceMs, model, this.maxLabels + 1);
    return rows.length > this.maxLabels ? { rows: rows.slice(1), cut: true } : { rows, cut: false };
  }

  private get maxLabels(): number {
    return this.options.maxLabels ?? DEFAULT_MAX_LABELS;
  }

  /** Samples for the metrics: every model and version with labels in the configured windows. */
  samples(): Promise<QualitySample[]> {
    const now = this.now();
    if (this.cached && now - this.cached.atMs < this.options.metricsRefreshSeconds * 1000) return this.cached.samples;
    const samples = this.computeSamples(now);
    this.cached = { atMs: now, samples };
    samples.catch((err: unknown) => {
      this.options.logger.warn({ err }, 'quality metrics: reading the feedback store failed');
      this.cached = undefined;
    });
    return samples;
  }

  /** Deletes labels past retention; errors are logged. */
  async runRetention(): Promise<number> {
    try {
      return await this.options.store.deleteBefore(this.now() - this.options.retentionDays * DAY_MS);
    } catch (err) {
      this.options.logger.warn({ err }, 'feedback retention failed; it runs again in an hour');
      return 0;
    }
  }

  private windows({ rows, cut }: LabelsRead, windows: readonly QualityWindowSpec[], now: number): QualityWindow[] {
    // The read was cut short: windows that start before its oldest label miss the labels older than that.
    const cutAtMs = cut ? rows[0].timeMs : -Infinity;
    return windows.map((w) => ({ window: w.name, sinceMs: now - w.ms, truncated: now - w.ms < cutAtMs, versions: qualityByVersion(rows, now - w.ms) }));
  }

  private async computeSamples(now: number): Promise<QualitySample[]> {
    const windows = this.options.windows;
    const sinceMs = now - Math.max(...windows.map((w) => w.ms));
    const out: QualitySample[] = [];
    for (const model of await this.options.store.models(sinceMs)) {
      const read = await this.read(sinceMs, model);
      for (const w of this.windows(read, windows, now)) {
        for (const v of w.versions) {
          out.push({
            model, version: v.version, window: w.window, labels: v.labels, metrics: definedMetrics(v),
            delayP50Seconds: v.labelDelaySeconds.p50, delayP95Seconds: v.labelDelaySeconds.p95,
          });
        }
      }
    }
    return out;
  }
}
