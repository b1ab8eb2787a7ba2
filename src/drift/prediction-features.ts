/**
 * What "the prediction" of a model is, for profiles and drift: one or more per-row values read from its outputs.
 * An output with one value per row is that value (numeric for floats, categorical for integers and booleans);
 * a two-column float output (a binary classifier's scores) gives the score of class 1 and the argmax class; a
 * wider one gives the argmax class. BYTES outputs and per-row explanations (TreeSHAP) are skipped. Pure: no I/O.
 */
import { EXPLANATION_OUTPUT } from '../config/model-config.js';
import type { TensorData, TensorSpec } from '../tensor/index.js';
import { argMax } from '../prediction/predicted-rows.js';
import type { FeatureKind, PredictionReduce } from './profile.js';

export interface PredictionFeature {
  readonly name: string;
  readonly output: string;
  readonly reduce: PredictionReduce;
  readonly kind: FeatureKind;
}

const FLOATS = new Set(['FP16', 'BF16', 'FP32', 'FP64']);

/** The prediction features of a batching model's outputs (dims without the batch dimension). */
export function predictionFeatures(outputs: readonly TensorSpec[]): PredictionFeature[] {
  const out: PredictionFeature[] = [];
  for (const o of outputs) {
    // BYTES hold no number; FP16/BF16 arrive as raw bits; a variable per-row size has no fixed columns.
    if (
      o.datatype === 'BYTES' ||
      o.datatype === 'FP16' ||
      o.datatype === 'BF16' ||
      o.dims.some((d) => d < 0) ||
      o.name === EXPLANATION_OUTPUT
    )
      continue;
    const perRow = o.dims.reduce((a, b) => a * b, 1);
    const float = FLOATS.has(o.datatype);
    if (perRow === 1)
      out.push({ name: o.name, output: o.name, reduce: 'value', kind: float ? 'numeric' : 'categorical' });
    else if (float && perRow === 2)
      out.push({ name: `${o.name}[1]`, output: o.name, reduce: 'class1', kind: 'numeric' });
    if (float && perRow >= 2)
      out.push({ name: `${o.name}:class`, output: o.name, reduce: 'argmax', kind: 'categorical' });
  }
  return out;
}

/** The prediction value of one row (`perRow` elements per row), or NaN when it is not a finite number. */
export function predictionValue(data: TensorData, perRow: number, row: number, reduce: PredictionReduce): number {
  const at = row * perRow;
  if (reduce === 'value') return Number(data[at]);
  if (reduce === 'class1') return perRow >= 2 ? Number(data[at + 1]) : NaN;
  return argMax(data, at, perRow);
}
