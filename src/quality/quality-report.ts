/**
 * Live quality of each model version from its joined labels, pure: accuracy, and for binary classifiers
 * precision, recall and F1 of the positive class at the model's threshold, ROC AUC and log loss from the class
 * probabilities, MAE and RMSE for regression, and the label delay (prediction to label) p50/p95.
 */
import type { FeedbackRecord } from './feedback-store.js';
import {
  binaryCounts,
  logLoss,
  macroRocAuc,
  percentile,
  precisionRecallF1,
  ratio,
  regressionErrors,
  rocAuc,
  type BinaryCounts,
  type BinaryScores,
  type RegressionErrors,
} from './quality-math.js';

export interface ClassificationQuality {
  readonly count: number;
  readonly correct: number;
  readonly accuracy: number | null;
  /** Binary classifiers: counts and scores of the positive class. */
  readonly binary: (BinaryCounts & BinaryScores & { readonly positiveClass: number }) | null;
  /** Binary: of the positive class's probability; multiclass: one-vs-rest, averaged over classes. Null without scores on every row. */
  readonly rocAuc: number | null;
  readonly logLoss: number | null;
}

export interface RegressionQuality extends RegressionErrors {
  readonly count: number;
}

export interface VersionQuality {
  readonly version: string;
  readonly labels: number;
  readonly classification: ClassificationQuality | null;
  readonly regression: RegressionQuality | null;
  /** Seconds from prediction to label. */
  readonly labelDelaySeconds: { readonly p50: number | null; readonly p95: number | null };
}

function classification(rows: readonly FeedbackRecord[]): ClassificationQuality | null {
  if (rows.length === 0) return null;
  const labels = rows.map((r) => r.label);
  const predicted = rows.map((r) => r.predicted);
  const correct = rows.reduce((n, r) => n + (r.label === r.predicted ? 1 : 0), 0);
  const positive = rows[0].positiveClass;
  const isBinary = positive !== null && rows.every((r) => r.positiveClass === positive);
  const scored = rows.every((r) => r.scores !== null);
  const scores = rows.map((r) => r.scores ?? []);
  let binary = null;
  let auc = null;
  if (isBinary) {
    const counts = binaryCounts(labels, predicted, positive);
    binary = { positiveClass: positive, ...counts, ...precisionRecallF1(counts) };
    if (scored)
      auc = rocAuc(
        scores.map((s) => s[positive]),
        labels.map((l) => l === positive),
      );
  } else if (scored) {
    auc = macroRocAuc(scores, labels);
  }
  return {
    count: rows.length,
    correct,
    accuracy: ratio(correct, rows.length),
    binary,
    rocAuc: auc,
    logLoss: scored ? logLoss(rows.map((r) => r.scores![r.label] ?? 0)) : null,
  };
}

function regression(rows: readonly FeedbackRecord[]): RegressionQuality | null {
  if (rows.length === 0) return null;
  return {
    count: rows.length,
    ...regressionErrors(
      rows.map((r) => r.label),
      rows.map((r) => r.predicted),
    ),
  };
}

/** The quality of one version from its labels. */
export function versionQuality(version: string, rows: readonly FeedbackRecord[]): VersionQuality {
  const delays = rows.map((r) => (r.timeMs - r.predictionTimeMs) / 1000).sort((a, b) => a - b);
  return {
    version,
    labels: rows.length,
    classification: classification(rows.filter((r) => r.kind === 'label')),
    regression: regression(rows.filter((r) => r.kind === 'value')),
    labelDelaySeconds: { p50: percentile(delays, 0.5), p95: percentile(delays, 0.95) },
  };
}

/** Per-version quality of the labels that arrived at or after `sinceMs`, versions in numeric order. */
export function qualityByVersion(rows: readonly FeedbackRecord[], sinceMs: number): VersionQuality[] {
  const byVersion = new Map<string, FeedbackRecord[]>();
  for (const r of rows) {
    if (r.timeMs < sinceMs) continue;
    const list = byVersion.get(r.version) ?? [];
    list.push(r);
    byVersion.set(r.version, list);
  }
  return [...byVersion.keys()]
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
    .map((v) => versionQuality(v, byVersion.get(v)!));
}
