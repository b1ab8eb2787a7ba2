/**
 * What a model predicted, per row of its answer: the one reading the canary and shadow analysis, replay, feedback
 * joins and prediction profiles (drift) share. Outputs come as live tensors (typed arrays) or as the prediction log
 * stores them (JSON arrays, possibly redacted); the first dimension of an output is the batch (a scalar is one row).
 *
 * - The predicted class is a `label` output when the model has one (it already applied the model's threshold),
 *   else the arg-max of a row of scores (`probabilities`, else the first numeric output other than `label`).
 * - An output with one value per row is a class when its type is an integer (or BOOL), else a value (regression).
 * - BYTES outputs, redacted ones and per-row explanations (`treeshap_output`) are never read as predictions.
 *
 * Pure: no I/O, no node:* imports.
 */
import { EXPLANATION_OUTPUT } from '../config/explanation-output.js';

/** An output as the reading needs it: name, type, shape and (unless redacted) its elements in row-major order. */
export interface PredictionOutput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data?: ArrayLike<unknown>;
}

/** Per row: a class index (classifiers) or a value (regression). */
export interface RowPrediction {
  readonly kind: 'class' | 'value';
  /** One entry per row. */
  readonly values: readonly number[];
}

/** The output a classifier's decision is logged in. */
export const LABEL_OUTPUT = 'label';
/** The output a classifier's class scores are preferred from. */
export const SCORES_OUTPUT = 'probabilities';

const CLASS_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BOOL']);

/** True when the output may hold a prediction: numbers (not BYTES) and not a per-row explanation. */
export function isPredictionOutput(t: PredictionOutput): boolean {
  return t.datatype !== 'BYTES' && t.name !== EXPLANATION_OUTPUT;
}

/** Rows (the first dimension; a scalar is one row) and values per row of an output with `length` elements. */
export function rowsAndWidth(
  shape: readonly number[],
  length: number,
): { readonly rows: number; readonly width: number } {
  const rows = shape.length === 0 ? 1 : shape[0];
  return { rows, width: rows === 0 ? 0 : length / rows };
}

/** The index of the largest of `width` values starting at `from` (the first one on a tie); NaN when `width` is 0. */
export function argMax(values: ArrayLike<unknown>, from = 0, width = values.length - from): number {
  if (width <= 0) return NaN;
  let best = 0;
  for (let k = 1; k < width; k++) if (Number(values[from + k]) > Number(values[from + best])) best = k;
  return best;
}

/**
 * The output holding a classifier's scores (or a regressor's values): `preferred` when given, else
 * `probabilities`, else the first numeric output other than `label`. A redacted one is returned too, so the caller
 * can say why it cannot be read.
 */
export function scoresOutput<T extends PredictionOutput>(outputs: readonly T[], preferred?: string): T | undefined {
  const usable = outputs.filter(isPredictionOutput);
  if (preferred !== undefined) return usable.find((t) => t.name === preferred);
  const numeric = usable.filter((t) => t.name !== LABEL_OUTPUT && t.datatype !== 'BOOL');
  return numeric.find((t) => t.name === SCORES_OUTPUT) ?? numeric[0];
}

/** Reads one output as a prediction per row. */
export function predictedRowsOf(t: PredictionOutput): RowPrediction {
  const data = t.data ?? [];
  const { rows, width } = rowsAndWidth(t.shape, data.length);
  if (width === 1) {
    const values = Array.from(data, Number);
    return { kind: t.name === LABEL_OUTPUT || CLASS_TYPES.has(t.datatype) ? 'class' : 'value', values };
  }
  return { kind: 'class', values: Array.from({ length: rows }, (_, r) => argMax(data, r * width, width)) };
}

/**
 * What the answer predicted per row: the `preferred` output when named (and readable), else the `label` output,
 * else the scores output; undefined when no output can be read as a prediction.
 */
export function predictedRows(outputs: readonly PredictionOutput[], preferred?: string): RowPrediction | undefined {
  const usable = outputs.filter((o) => isPredictionOutput(o) && o.data !== undefined);
  const t =
    usable.find((o) => o.name === preferred) ?? usable.find((o) => o.name === LABEL_OUTPUT) ?? scoresOutput(usable);
  return t ? predictedRowsOf(t) : undefined;
}
