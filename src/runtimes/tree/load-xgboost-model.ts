import { parseXGBoostJson } from './parse-xgboost-json.js';
import { parseXGBoostModel } from './parse-xgboost-model.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * Parses the text of an XGBoost JSON model file (tolerating XGBoost's bare NaN tokens)
 * into a {@link TreeEnsemble}.
 * @throws ModelFormatError when the text is not a valid, supported XGBoost model.
 */
export function loadXGBoostModel(text: string): TreeEnsemble {
  return parseXGBoostModel(parseXGBoostJson(text));
}
