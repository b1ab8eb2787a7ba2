/**
 * What a response predicted per row, for the canary analysis: prediction/predicted-rows.ts reads it.
 * Pure: no I/O, no node:* imports.
 */
import { predictedRows, type PredictionOutput, type RowPrediction } from '../prediction/predicted-rows.js';

export type Prediction = RowPrediction;

/** Reduces a response's outputs to one prediction per row, or undefined when no output is numeric. */
export function predictionOf(outputs: readonly PredictionOutput[], preferred?: string): Prediction | undefined {
  return predictedRows(outputs, preferred);
}
