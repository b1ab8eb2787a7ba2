/**
 * The models' SLO reports as the dashboard shows them, each read again at most every `refreshMs`: a report sums
 * the model's rolling counts over every burn-rate window (five minutes to thirty days), far more work than the
 * rest of a snapshot, and windows of five minutes and more barely move in a second.
 */
import type { InferenceService } from '../inference/inference-service.js';
import type { SloReport } from '../slo/slo-tracker.js';
import { optional } from './snapshot-builder.js';

/** How long a report is shown before it is read again. */
export const SLO_REFRESH_MS = 10_000;

export class SloReports {
  private readonly reports = new Map<string, { readonly at: number; readonly report: SloReport | undefined }>();

  constructor(
    private readonly data: InferenceService,
    private readonly clock: () => number,
    private readonly refreshMs = SLO_REFRESH_MS,
  ) {}

  /** The model's report (undefined: it has no `slo:`), read now or within the last `refreshMs`. */
  readonly report = (model: string): SloReport | undefined => {
    const now = this.clock();
    const kept = this.reports.get(model);
    if (kept && now - kept.at < this.refreshMs) return kept.report;
    const report = optional(() => this.data.slo.report(model));
    this.reports.set(model, { at: now, report });
    return report;
  };

  clear(): void {
    this.reports.clear();
  }
}
