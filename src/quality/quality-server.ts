/**
 * Feedback and live quality as the server runs them: the feedback store beside the prediction log, the service
 * that joins labels, the reports, and the metrics' source. Store calls and report computations run in feedback
 * worker threads (one for joins and writes, one for reports and the gauges, so a long report does not hold up
 * labels being written); the event loop only sends requests and receives answers. Lifetime: start() opens the
 * store, stop() closes it after the writes already sent.
 */
import type { AuditConfig } from '../config/audit-config.js';
import type { ThresholdConfig } from '../config/model-config-postprocess.js';
import type { QualityConfig } from '../config/quality-config.js';
import type { Logger } from '../telemetry/logger.js';
import type { FeedbackMetrics } from '../telemetry/quality-metrics.js';
import { FeedbackService, type FeedbackServiceOptions } from './feedback-service.js';
import { feedbackStoreSpec } from './feedback-store-create.js';
import { ThreadedFeedbackStore } from './feedback-store-threaded.js';
import { FeedbackWorkerClient } from './feedback-worker-client.js';
import { ThreadedQualityCompute } from './quality-compute-threaded.js';
import { QualityService } from './quality-service.js';

/** Report and gauge computations waiting for the report worker, at most; more are answered 503. */
export const MAX_QUEUED_REPORTS = 4;

export interface QualityServerOptions {
  readonly audit: AuditConfig;
  readonly quality: QualityConfig;
  readonly metrics: FeedbackMetrics;
  readonly logger: Logger;
  readonly thresholdOf: (model: string, version: string) => ThresholdConfig | undefined;
  readonly flushPredictions?: () => Promise<void>;
  /** Told of every label received (the cascades count them per path). */
  readonly onLabels?: FeedbackServiceOptions['onLabels'];
  /** Clock, ms since the epoch (tests pass their own). */
  readonly now?: () => number;
}

export class QualityServer {
  readonly feedback: FeedbackService;
  readonly reports: QualityService;
  /** Most items in one POST /v1/feedback. */
  readonly maxBatch: number;
  private readonly store: ThreadedFeedbackStore;
  /** The reports' worker; the store's own when the log is ':memory:' (another connection would see another database). */
  private readonly reportWorker: FeedbackWorkerClient;

  constructor(options: QualityServerOptions) {
    const spec = feedbackStoreSpec(options.audit);
    this.store = new ThreadedFeedbackStore(spec);
    this.reportWorker =
      spec.store === 'sqlite' && spec.path === ':memory:'
        ? this.store.client
        : new FeedbackWorkerClient(spec, {
            maxPending: MAX_QUEUED_REPORTS,
            busyMessage: `${MAX_QUEUED_REPORTS} quality reports are already being computed; ask again in a few seconds`,
          });
    this.maxBatch = options.quality.maxBatch;
    this.reports = new QualityService({
      store: this.store,
      compute: new ThreadedQualityCompute(this.reportWorker),
      windows: options.quality.windows,
      metricsRefreshSeconds: options.quality.metricsRefreshSeconds,
      maxLabels: options.quality.maxLabels,
      maxWindows: options.quality.maxWindows,
      retentionDays: options.audit.retentionDays,
      logger: options.logger,
      now: options.now,
    });
    this.feedback = new FeedbackService({
      store: this.store,
      joiner: this.store,
      thresholdOf: options.thresholdOf,
      flushPredictions: options.flushPredictions,
      metrics: options.metrics,
      now: options.now,
      onStored: () => this.reports.labelsChanged(),
      onLabels: options.onLabels,
    });
    options.metrics.source = () => this.reports.samples();
  }

  /** Opens the store (after the prediction log's, whose table it joins). */
  async start(): Promise<void> {
    await this.store.start();
    if (this.reportWorker !== this.store.client) await this.reportWorker.start();
    this.reports.start();
  }

  async stop(): Promise<void> {
    this.reports.stop();
    if (this.reportWorker !== this.store.client) await this.reportWorker.stop();
    await this.store.stop();
  }
}
