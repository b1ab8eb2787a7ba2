/** Summary of a loaded tree-ensemble model, for model metadata endpoints. */
export interface TreeModelMetadata {
  /** Source format of the model. */
  readonly format: 'xgboost-json';
  /** XGBoost version that wrote the model (`[major, minor, patch]`), if recorded. */
  readonly xgboostVersion: readonly number[] | null;
  /** `gbtree` or `dart`. */
  readonly booster: string;
  /** Number of input features (columns) the model expects. */
  readonly numFeatures: number;
  /** `learner.feature_names`, or null when the model has none. */
  readonly featureNames: readonly string[] | null;
  /** `learner.feature_types` (`q`/`float`/`int`/`i` numeric, `c` categorical), or null. */
  readonly featureTypes: readonly string[] | null;
  /** Classes of a classifier (2 for binary objectives), 0 for regressors. */
  readonly numClasses: number;
  /** Margins per row: classes for multi:*, targets for multi-output regression, else 1. */
  readonly numOutputs: number;
  /** Objective name, e.g. `binary:logistic`. */
  readonly objective: string;
  /** True for binary:* and multi:* objectives. */
  readonly isClassifier: boolean;
  /** Number of trees. */
  readonly numTrees: number;
  /** Stored base_score(s) in prediction space, one per output. */
  readonly baseScore: readonly number[];
}
