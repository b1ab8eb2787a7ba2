/**
 * Feedback and live quality as the server runs them: the feedback store beside the prediction log, the service
 * that joins labels, the reports, and the metrics' source. Lifetime: start() opens the store, stop() closes it.
 */
import type { AuditConfig } from '../config/audit-config.js';
import type { ThresholdConfig } from '../config/model-config-postprocess.js';
import type { QualityConfig } from '../config/quality-config.js';
import type { Logger } from '../telemetry/logger.js';
import type { FeedbackMetrics } from '../telemetry/quality-metrics.js';
import { FeedbackService } from './feedback-service.js';
import type { FeedbackStore } from './feedback-store.js';
import { createFeedbackStore } from './feedback-store-create.js';
import { QualityService } from './quality-service.js';

export interface QualityServerOptions {
  readonly audit: AuditConfig;
  readonly quality: QualityConfig;
  readonly metrics: FeedbackMetrics;
  readonly logger: Logger;
  readonly thresholdOf: (model: string, version: string) => ThresholdConfig | undefined;
  readonly flushPredictions?: () => Promise<void>;
  /** Clock, ms since the epoch (tests pass their own). */
  readonly now?: () => number;
}

export class QualityServer {
  readonly feedback: FeedbackService;
  readonly reports: QualityService;
  /** Most items in one POST /v1/feedback. */
  readonly maxBatch: number;
  private readonly store: FeedbackStore;

  constructor(options: QualityServerOptions) {
    this.store = createFeedbackStore(options.audit);
    this.maxBatch = options.quality.maxBatch;
    this.feedback = new FeedbackService({
      store: this.store, thresholdOf: options.thresholdOf, flushPredictions: options.flushPredictions, metrics: options.metrics, now: options.now,
    });
    this.reports = new QualityService({
      store: this.store, windows: options.quality.windows, metricsRefreshSeconds: options.quality.metricsRefreshSeconds, maxLabels: options.quality.maxLabels,
      retentionDays: options.audit.retentionDays, logger: options.logger, now: options.now,
    });
    options.metrics.source = () => this.reports.samples();
  }

  /** Opens the store (after the prediction log's, whose table it joins). */
  async start(): Promise<void> {
    await this.store.start();
    this.reports.start();
  }

  async stop(): Promise<void> {
    this.reports.stop();
    await this.store.stop();
  }
}
