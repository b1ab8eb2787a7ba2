/**
 * Quality reports and gauge samples computed in a feedback worker thread of their own (reading up to max_labels
 * labels and ranking them for ROC AUC takes seconds at 100,000 labels): the event loop only sends the request and
 * receives the figures. At most `maxPending` computations wait; more are refused with 503 and Retry-After.
 */
import type { QualityWindowSpec } from '../config/quality-config.js';
import type { QualitySample } from '../telemetry/quality-metrics.js';
import type { QualityCompute, QualityWindow } from './quality-compute.js';
import type { FeedbackWorkerClient } from './feedback-worker-client.js';

export class ThreadedQualityCompute implements QualityCompute {
  constructor(private readonly client: FeedbackWorkerClient) {}

  async report(
    model: string,
    windows: readonly QualityWindowSpec[],
    nowMs: number,
    maxLabels: number,
  ): Promise<QualityWindow[]> {
    return (await this.client.call({ op: 'report', model, windows, nowMs, maxLabels })) as QualityWindow[];
  }

  async samples(windows: readonly QualityWindowSpec[], nowMs: number, maxLabels: number): Promise<QualitySample[]> {
    return (await this.client.call({ op: 'samples', windows, nowMs, maxLabels })) as QualitySample[];
  }
}
