/**
 * What a response predicted, per row, reduced to one number the canary analysis can compare: a class index for
 * classifiers (an integer output such as `label`, or the arg-max of a score row), a value for regressors.
 * Pure: no I/O, no node:* imports.
 */
import type { Tensor } from '../tensor/index.js';

export interface Prediction {
  readonly kind: 'class' | 'value';
  /** One entry per row. */
  readonly values: readonly number[];
}

const INTEGER_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BOOL']);

function rowsOf(t: Tensor): number {
  return t.shape.length === 0 ? 1 : t.shape[0];
}

function argMaxRows(data: ArrayLike<number>, rows: number, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (data[r * width + c] > data[r * width + best]) best = c;
    out.push(best);
  }
  return out;
}

/** The output a prediction is read from: the named one, else `label`, else the first numeric output. */
function predictionOutput(outputs: readonly Tensor[], preferred: string | undefined): Tensor | undefined {
  const numeric = outputs.filter((t) => t.datatype !== 'BYTES');
  return numeric.find((t) => t.name === preferred) ?? numeric.find((t) => t.name === 'label') ?? numeric[0];
}

/** Reduces a response's outputs to one prediction per row, or undefined when no output is numeric. */
export function predictionOf(outputs: readonly Tensor[], preferred?: string): Prediction | undefined {
  const t = predictionOutput(outputs, preferred);
  if (!t) return undefined;
  const rows = rowsOf(t);
  const width = rows === 0 ? 0 : t.data.length / rows;
  const numbers = Array.from(t.data as ArrayLike<number | bigint>, Number);
  if (INTEGER_TYPES.has(t.datatype) && width === 1) return { kind: 'class', values: numbers };
  if (width === 1) return { kind: 'value', values: numbers };
  return { kind: 'class', values: argMaxRows(numbers, rows, width) };
}
