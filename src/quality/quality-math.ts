/**
 * The arithmetic of live quality, pure: confusion counts, precision/recall/F1, ROC AUC (Mann–Whitney, ties at half
 * weight), log loss, MAE/RMSE and percentiles. Data in, numbers out; no I/O, no clock.
 */

/** Probabilities are clipped to [EPS, 1 - EPS] before the log, as scikit-learn does, so a sure miss costs ~34.5. */
export const LOG_LOSS_EPS = 1e-15;

/** The q-quantile (0..1) of ascending `sorted`, interpolated linearly between ranks (numpy's default); null when empty. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** a / b, or null when b is 0. */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

export interface BinaryCounts {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

/** Confusion counts of predictions against labels, `positive` being the positive class. */
export function binaryCounts(labels: readonly number[], predicted: readonly number[], positive: number): BinaryCounts {
  let tp = 0,
    fp = 0,
    tn = 0,
    fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const actual = labels[i] === positive;
    const said = predicted[i] === positive;
    if (said && actual) tp++;
    else if (said) fp++;
    else if (actual) fn++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

export interface BinaryScores {
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

/** Precision, recall and F1 of the positive class; null where a denominator is 0 (F1 is 0 when both are 0). */
export function precisionRecallF1(c: BinaryCounts): BinaryScores {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  if (precision === null || recall === null) return { precision, recall, f1: null };
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
}

/**
 * Area under the ROC curve: the chance that a random positive scores above a random negative, ties counting half
 * (the Mann–Whitney U over average ranks). Null unless both classes are present.
 */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number | null {
  const order = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1; // ties share their average rank (1-based)
    for (let k = i; k <= j; k++) {
      if (!positive[order[k]]) continue;
      rankSum += rank;
      positives++;
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean negative log of the probability given to the true class; null when empty. */
export function logLoss(probabilityOfTruth: readonly number[]): number | null {
  if (probabilityOfTruth.length === 0) return null;
  let sum = 0;
  for (const p of probabilityOfTruth) sum -= Math.log(Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, p)));
  return sum / probabilityOfTruth.length;
}

/**
 * One-vs-rest ROC AUC averaged over the classes (score columns) that have both positive and negative labels;
 * null when no class has both.
 */
export function macroRocAuc(scores: readonly (readonly number[])[], labels: readonly number[]): number | null {
  const width = scores.reduce((w, s) => Math.max(w, s.length), 0);
  const aucs: number[] = [];
  for (let k = 0; k < width; k++) {
    const auc = rocAuc(
      scores.map((s) => s[k] ?? 0),
      labels.map((l) => l === k),
    );
    if (auc !== null) aucs.push(auc);
  }
  return aucs.length === 0 ? null : aucs.reduce((a, b) => a + b, 0) / aucs.length;
}

export interface RegressionErrors {
  readonly mae: number | null;
  readonly rmse: number | null;
}

/** Mean absolute error and root mean squared error; null when empty. */
export function regressionErrors(actual: readonly number[], predicted: readonly number[]): RegressionErrors {
  if (actual.length === 0) return { mae: null, rmse: null };
  let abs = 0,
    sq = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = predicted[i] - actual[i];
    abs += Math.abs(d);
    sq += d * d;
  }
  return { mae: abs / actual.length, rmse: Math.sqrt(sq / actual.length) };
}

/**
 * A row of class scores as probabilities: kept when they already are (each in [0, 1], summing to 1 within 1e-3),
 * else read as logits (softmax; one column: sigmoid). Pure.
 */
export function toProbabilities(scores: readonly number[]): number[] {
  if (scores.length === 1) {
    const s = scores[0];
    return s >= 0 && s <= 1 ? [s] : [1 / (1 + Math.exp(-s))];
  }
  const sum = scores.reduce((a, b) => a + b, 0);
  if (scores.every((s) => s >= 0 && s <= 1) && Math.abs(sum - 1) <= 1e-3) return [...scores];
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp(s - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
