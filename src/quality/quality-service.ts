/**
 * Live quality reports from the stored labels: GET /v1/models/{m}/quality (computed when asked) and the samples
 * behind the /metrics gauges. Both are computed by a QualityCompute: on the server, in a worker thread
 * (quality-compute-threaded.ts), so no report blocks the event loop. A scrape never computes: it is answered from
 * the last samples computed, and starts a new computation in the background once they are older than
 * metrics_refresh_seconds (feedback that arrives starts one the same way). Also runs the labels' retention beside
 * the prediction log's.
 */
import type { QualityWindowSpec } from '../config/quality-config.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { QualitySample } from '../telemetry/quality-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { FeedbackStore } from './feedback-store.js';
import { StoreQualityCompute, type QualityCompute, type QualityWindow } from './quality-compute.js';

export type { QualityWindow } from './quality-compute.js';

export interface QualityReport {
  readonly model: string;
  readonly windows: readonly QualityWindow[];
}

export interface QualityServiceOptions {
  readonly store: FeedbackStore;
  /** Where reports are computed; default: in process, over `store`. */
  readonly compute?: QualityCompute;
  readonly windows: readonly QualityWindowSpec[];
  readonly metricsRefreshSeconds: number;
  /** Most labels read per model for a report (the newest); default 100,000. */
  readonly maxLabels?: number;
  /** Most windows one report may ask for; default 10. */
  readonly maxWindows?: number;
  /** Labels older than this many days are deleted (the prediction log's retention_days; 0: kept). */
  readonly retentionDays: number;
  readonly logger: Logger;
  readonly now?: (() => number) | undefined;
}

const DAY_MS = 86_400_000;
const DEFAULT_MAX_LABELS = 100_000;
export const DEFAULT_MAX_WINDOWS = 10;

export class QualityService {
  private readonly now: () => number;
  private readonly compute: QualityCompute;
  private retentionTimer: NodeJS.Timeout | undefined;
  /** The gauges' last computed samples, and when their computation started. */
  private last: readonly QualitySample[] = [];
  private lastStartedMs = -Infinity;
  private refreshing: Promise<readonly QualitySample[]> | undefined;
  /** Asked for while a computation ran: one more runs after it, so the newest labels are counted. */
  private again = false;

  constructor(private readonly options: QualityServiceOptions) {
    this.now = options.now ?? Date.now;
    this.compute = options.compute ?? new StoreQualityCompute(options.store);
  }

  /** Starts retention (hourly) when the prediction log has one, and computes the gauges' first samples. */
  start(): void {
    this.maybeRefresh();
    if (this.options.retentionDays <= 0) return;
    this.retentionTimer = setInterval(() => void this.runRetention(), 3_600_000);
    this.retentionTimer.unref();
  }

  stop(): void {
    clearInterval(this.retentionTimer);
  }

  get maxWindows(): number {
    return this.options.maxWindows ?? DEFAULT_MAX_WINDOWS;
  }

  /**
   * The model's quality per window (the configured ones unless `windows` is given). More than maxWindows windows:
   * InvalidArgumentError (400) naming the limit.
   */
  async report(model: string, windows: readonly QualityWindowSpec[] = this.options.windows): Promise<QualityReport> {
    if (windows.length > this.maxWindows) {
      throw new InvalidArgumentError(
        `${windows.length} windows asked for; a quality report computes at most ${this.maxWindows} (quality.max_windows), e.g. windows=1h,24h`,
      );
    }
    return { model, windows: await this.compute.report(model, windows, this.now(), this.maxLabels) };
  }

  private get maxLabels(): number {
    return this.options.maxLabels ?? DEFAULT_MAX_LABELS;
  }

  /**
   * Samples for the metrics (what a scrape reads): the last computed ones, at once. When they are older than
   * metrics_refresh_seconds a new computation starts in the background; the next scrape after it sees its result.
   */
  samples(): Promise<readonly QualitySample[]> {
    this.maybeRefresh();
    return Promise.resolve(this.last);
  }

  /** Labels were stored: the gauges are recomputed in the background when due. */
  labelsChanged(): void {
    this.maybeRefresh();
  }

  /** Computes the samples now (after the one running, if any) and resolves with them. */
  async refreshSamples(): Promise<readonly QualitySample[]> {
    await this.refreshing;
    return this.refresh();
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

  private maybeRefresh(): void {
    if (this.now() - this.lastStartedMs < this.options.metricsRefreshSeconds * 1000) return;
    if (this.refreshing) this.again = true;
    else void this.refresh();
  }

  private refresh(): Promise<readonly QualitySample[]> {
    const now = this.now();
    this.lastStartedMs = now;
    const running = this.compute.samples(this.options.windows, now, this.maxLabels).then(
      (samples) => (this.last = samples),
      (err: unknown) => {
        this.options.logger.warn(
          { err },
          'quality metrics: computing the quality gauges failed; they keep their last values',
        );
        this.lastStartedMs = -Infinity; // due again at the next scrape
        return this.last;
      },
    );
    this.refreshing = running;
    void running.finally(() => {
      if (this.refreshing !== running) return;
      this.refreshing = undefined;
      if (!this.again) return;
      this.again = false;
      this.maybeRefresh();
    });
    return running;
  }
}
