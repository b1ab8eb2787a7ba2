import { applyObjective } from './apply-objective.js';
import { predictMargin } from './predict-margin.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * Predictions for a row-major float32 batch (NaN = missing), matching XGBoost's
 * `Booster.predict`: probabilities for logistic objectives, `[rows, classes]` probabilities
 * for multi:softprob, class indices `[rows]` for multi:softmax, `exp(margin)` for
 * count:poisson / reg:gamma / reg:tweedie and raw values for regression.
 */
export function predict(e: TreeEnsemble, features: Float32Array, rows: number, cols: number): Float32Array {
  return applyObjective(e, predictMargin(e, features, rows, cols), rows);
}
