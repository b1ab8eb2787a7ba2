/**
 * A binary classifier's decision threshold (config parameters `threshold`, `threshold_output`, `threshold_class`):
 * each row's positive-class score at or above the threshold gives the positive class, else the other one.
 */
import type { ThresholdConfig } from '../config/model-config-postprocess.js';
import { ConfigError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { scoresOf } from './classification.js';

/** The INT64 decision per row ([N]) computed from the scores output. */
export function applyThreshold(threshold: ThresholdConfig, scores: Tensor, batching: boolean): Tensor {
  const rows = batching || scores.shape.length >= 2 ? scores.shape[0] : 1;
  const width = rows === 0 ? 0 : scores.data.length / rows;
  if (rows > 0 && width !== 1 && width !== 2) {
    throw new ConfigError(
      `threshold_output '${scores.name}' has ${width} values per row; a threshold needs a binary classifier's 1 or 2 scores per row`,
    );
  }
  const positive = threshold.positiveClass;
  const column = width === 2 ? positive : 0;
  const values = scoresOf(scores);
  const data = new BigInt64Array(rows);
  for (let r = 0; r < rows; r++) {
    data[r] = BigInt(Number(values[r * width + column]) >= threshold.value ? positive : 1 - positive);
  }
  return { name: threshold.labelOutput, datatype: 'INT64', shape: [rows], data };
}
