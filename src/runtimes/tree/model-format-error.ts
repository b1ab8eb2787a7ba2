import { ModelLoadError } from '../../errors/index.js';

/**
 * Thrown when a tree-model document is malformed or uses an unsupported feature.
 * `path` is the JSON path of the offending value (e.g. `learner.objective.name`).
 */
export class ModelFormatError extends ModelLoadError {
  readonly path: string;

  /** @param path JSON path of the offending value; @param problem what is wrong with it. */
  constructor(path: string, problem: string) {
    super(`Invalid XGBoost model at ${path === '' ? '<root>' : path}: ${problem}`, {
      errorCode: 'model_format_invalid',
    });
    this.path = path;
  }
}
