/** The shared ModelRuntime cases against the tree runtime with XGBoost's iris classifier (rows with missing values too). */
import { loadOptions, modelRuntimeCases, readReference } from '../model-runtime.case.test.js';
import { XGBoostRuntime } from './xgboost-runtime.js';

const iris = readReference<{ inputs: Array<Array<number | null>>; predictions: number[][] }>(
  'test/fixtures/xgboost/iris_multiclass/reference.json',
);

modelRuntimeCases(
  'xgboost (iris, multi:softprob)',
  () => XGBoostRuntime.load(loadOptions('xgboost', 'test/fixtures/xgboost/iris_multiclass/model.json')),
  {
    rows: iris.inputs,
    output: 'probabilities',
    expected: iris.predictions,
    tolerance: 1e-5,
  },
);
