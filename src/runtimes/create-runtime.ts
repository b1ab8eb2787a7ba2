import { UnsupportedError } from '../errors/index.js';
import { OnnxRuntime } from './onnx/onnx-runtime.js';
import { XGBoostRuntime } from './tree/xgboost-runtime.js';
import type { ModelRuntime, RuntimeLoadOptions } from './runtime.js';

/** Loads the runtime an artefact needs. Called inside a worker thread. */
export async function createRuntime(options: RuntimeLoadOptions): Promise<ModelRuntime> {
  switch (options.runtime) {
    case 'onnx':
      return OnnxRuntime.load(options);
    case 'xgboost':
      return XGBoostRuntime.load(options);
    default:
      throw new UnsupportedError(`runtime '${options.runtime}' is not available in this build`);
  }
}
