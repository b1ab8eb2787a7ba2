/**
 * Native tree-ensemble runtime core for XGBoost JSON models (`Booster.save_model("*.json")`).
 *
 * Layout: {@link parseXGBoostModel} validates the document and flattens every tree into one
 * structure-of-arrays node space (see {@link TreeEnsemble}): Int32Array children / default
 * child / split feature, Float32Array thresholds, leaf values, covers (`sum_hessian`) and
 * subtree mean values, plus per-node category bitsets (Uint32Array words) for categorical
 * splits. Nodes are renumbered in pre-order per tree, so children follow their parents.
 *
 * Evaluation: {@link predictMargin} walks each tree with XGBoost's semantics (float32
 * features and thresholds, `x < threshold` goes left, NaN takes the default child,
 * categories in the node's set go right) and accumulates leaves in float32 in tree order
 * starting from the base margin, reproducing XGBoost's CPU predictor bit for bit.
 * {@link predict} applies the objective (sigmoid, softmax, argmax, exp, hinge, identity).
 *
 * Explanations: {@link predictContributions} is the exact polynomial-time TreeSHAP of
 * Lundberg et al. (2018) — XGBoost's `pred_contribs` — ported with float32 arithmetic in
 * XGBoost's operation order, using preallocated path buffers ({@link ShapWorkspace}).
 */
export { applyObjective } from './apply-objective.js';
export { loadXGBoostModel } from './load-xgboost-model.js';
export { ModelFormatError } from './model-format-error.js';
export { SUPPORTED_OBJECTIVES, type Objective, type OutputTransform, type BaseScoreLink } from './objective.js';
export { parseXGBoostJson } from './parse-xgboost-json.js';
export { parseXGBoostModel } from './parse-xgboost-model.js';
export { predict } from './predict.js';
export { predictContributions } from './predict-contributions.js';
export { predictMargin } from './predict-margin.js';
export { ShapWorkspace } from './shap-workspace.js';
export type { TreeEnsemble } from './tree-ensemble.js';
export type { TreeModelMetadata } from './tree-model-metadata.js';
