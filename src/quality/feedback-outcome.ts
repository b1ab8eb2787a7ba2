/**
 * What a logged prediction said about one row, read from its stored outputs when its label arrives: the predicted
 * class (or value) and, for classifiers, the row's class probabilities. Pure.
 *
 * Classifiers: the scores are the threshold's output when the model has a threshold, else the scores output as
 * prediction/predicted-rows.ts finds it (`probabilities`, else the first numeric output other than `label`). The predicted class is the logged `label` output (which already
 * applied the model's threshold), else the threshold applied to the scores, else the arg-max. Scores that are not
 * probabilities are read as logits (softmax; one column: sigmoid). A one-column binary score is the positive
 * class's. Regression: the row's single value of that output.
 */
import type { StoredTensor } from '../audit/audit-record.js';
import type { ThresholdConfig } from '../config/model-config-postprocess.js';
import { argMax, LABEL_OUTPUT, rowsAndWidth, scoresOutput } from '../prediction/predicted-rows.js';
import { toProbabilities } from './quality-math.js';

export type FeedbackKind = 'label' | 'value';

/** The prediction as joined with its label. */
export interface PredictionOutcome {
  /** The predicted class index, or the predicted value. */
  readonly predicted: number;
  /** Class probabilities of the row (classifiers with scores); null otherwise. */
  readonly scores: readonly number[] | null;
  /** The positive class of a binary classifier (0 or 1); null for multiclass and regression. */
  readonly positiveClass: number | null;
}

export type OutcomeResult =
  { readonly ok: true; readonly outcome: PredictionOutcome } | { readonly ok: false; readonly reason: string };

const NOT_SCORES = new Set(['BYTES', 'BOOL']);

/** The output holding the scores or values (the threshold's output when the model has one), or undefined. */
function scoreTensor(
  outputs: readonly StoredTensor[],
  threshold: ThresholdConfig | undefined,
): StoredTensor | undefined {
  return scoresOutput(outputs, threshold?.output);
}

/** The values of one row of a tensor whose first dimension is the batch (a 1-D tensor has one value per row). */
function rowValues(t: StoredTensor, row: number): number[] | string {
  if (t.data === undefined) return `output '${t.name}' is redacted in the prediction log`;
  if (t.truncated) return `output '${t.name}' was truncated in the prediction log (audit.max_elements)`;
  const { rows, width } = rowsAndWidth(t.shape, t.data.length);
  if (row >= rows) return `row ${row} is beyond the ${rows} row(s) of the prediction`;
  const values = t.data.slice(row * width, (row + 1) * width).map(Number);
  return values.some((v) => !Number.isFinite(v)) ? `output '${t.name}' has a non-numeric value in row ${row}` : values;
}

function classification(
  outputs: readonly StoredTensor[],
  row: number,
  threshold: ThresholdConfig | undefined,
): OutcomeResult {
  const labelTensor = outputs.find(
    (t) => t.name === (threshold?.labelOutput ?? LABEL_OUTPUT) && !NOT_SCORES.has(t.datatype),
  );
  const scoresTensor = scoreTensor(outputs, threshold);
  const raw = scoresTensor ? rowValues(scoresTensor, row) : undefined;
  const logged = labelTensor ? rowValues(labelTensor, row) : undefined;
  if (typeof raw === 'string' && typeof logged !== 'object') return { ok: false, reason: raw };
  if (raw === undefined && logged === undefined)
    return { ok: false, reason: 'the prediction has no scores or label output to compare a label with' };
  if (typeof logged === 'string' && raw === undefined) return { ok: false, reason: logged };
  const positive = threshold?.positiveClass ?? 1;
  let scores: number[] | null = null;
  if (typeof raw === 'object') {
    const p = toProbabilities(raw);
    scores = p.length === 1 ? (positive === 1 ? [1 - p[0], p[0]] : [p[0], 1 - p[0]]) : p;
  }
  let predicted: number;
  if (typeof logged === 'object' && logged.length === 1) predicted = logged[0];
  else if (!scores)
    return {
      ok: false,
      reason: `output '${labelTensor!.name}' holds more than one value per row; a label is compared with one class per row`,
    };
  else if (threshold && scores.length === 2) predicted = scores[positive] >= threshold.value ? positive : 1 - positive;
  else predicted = argMax(scores);
  const binary = scores ? scores.length === 2 : predicted === 0 || predicted === 1;
  return { ok: true, outcome: { predicted, scores, positiveClass: binary ? positive : null } };
}

function regression(outputs: readonly StoredTensor[], row: number): OutcomeResult {
  const t = scoreTensor(outputs, undefined);
  if (!t) return { ok: false, reason: 'the prediction has no numeric output to compare a value with' };
  const values = rowValues(t, row);
  if (typeof values === 'string') return { ok: false, reason: values };
  if (values.length !== 1)
    return {
      ok: false,
      reason: `output '${t.name}' has ${values.length} values per row; a feedback value is compared with a single predicted value`,
    };
  return { ok: true, outcome: { predicted: values[0], scores: null, positiveClass: null } };
}

/** The prediction of row `row` for a label (`kind` label) or a true value (`kind` value). */
export function predictionOutcome(
  outputs: readonly StoredTensor[],
  kind: FeedbackKind,
  row: number,
  threshold?: ThresholdConfig,
): OutcomeResult {
  return kind === 'label' ? classification(outputs, row, threshold) : regression(outputs, row);
}
