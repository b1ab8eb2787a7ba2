/**
 * Triton's classification extension: an output requested with `"parameters": {"classification": K}` is answered
 * as its K highest-valued elements per row, as BYTES strings `"<score>:<index>[:<label>]"`, highest first.
 * Shape [N, K] for batching models, [K] otherwise (K capped at the elements per row).
 */
import { fromBFloat16Bits, fromFloat16Bits } from '../lib/float16.js';
import type { Datatype, NumericArray, Tensor } from '../tensor/index.js';
import { formatScore } from './format-score.js';

const FLOATING: ReadonlySet<Datatype> = new Set(['FP16', 'FP32', 'FP64', 'BF16']);

/** Datatypes that have no order to classify by. */
export const UNCLASSIFIABLE: ReadonlySet<Datatype> = new Set(['BYTES', 'BOOL']);

/** Element values in comparable form. */
export type Scores = ArrayLike<number | bigint>;

/** The elements as comparable values: FP16/BF16 decoded, 64-bit integers as bigints. */
export function scoresOf(t: Tensor): Scores {
  if (t.datatype === 'FP16') return Array.from(t.data as Uint16Array, fromFloat16Bits);
  if (t.datatype === 'BF16') return Array.from(t.data as Uint16Array, fromBFloat16Bits);
  return t.data as NumericArray;
}

/** Indices (within the row) of the row's `k` highest values; ties keep index order, NaN comes last. */
function topIndices(values: Scores, start: number, width: number, k: number): number[] {
  const order = Array.from({ length: width }, (_, i) => i);
  order.sort((i, j) => {
    const a = values[start + i];
    const b = values[start + j];
    if (a !== a) return b !== b ? i - j : 1; // NaN is never the top class
    if (b !== b) return -1;
    return a > b ? -1 : a < b ? 1 : i - j;
  });
  return order.slice(0, k);
}

/** One class as Triton writes it: score, index, and the label when the labels file has a non-empty one. */
function classText(
  score: number | bigint,
  index: number,
  floating: boolean,
  labels: readonly string[] | undefined,
): string {
  const label = labels?.[index];
  return `${formatScore(score, floating)}:${index}${label ? `:${label}` : ''}`;
}

/**
 * Replaces an output by its top-`k` classes. A batching model's rows are the leading dimension; a non-batching
 * model's output is classified as one row.
 */
export function classify(t: Tensor, k: number, labels: readonly string[] | undefined, batching: boolean): Tensor {
  const rows = batching && t.shape.length > 0 ? t.shape[0] : 1;
  const width = rows === 0 ? 0 : t.data.length / rows;
  const count = Math.min(k, width);
  const values = scoresOf(t);
  const floating = FLOATING.has(t.datatype);
  const data: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (const index of topIndices(values, r * width, width, count))
      data.push(classText(values[r * width + index], index, floating, labels));
  }
  return { name: t.name, datatype: 'BYTES', shape: batching ? [rows, count] : [count], data };
}
