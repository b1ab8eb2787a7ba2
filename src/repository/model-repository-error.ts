import { ConfigError } from '../errors/index.js';

/** What is wrong with the model repository a server or an `Inferd` was given. */
export type ModelRepositoryProblem = 'missing' | 'not_a_folder' | 'unreadable' | 'empty';

/**
 * The model repository cannot be served: it does not exist, is not a folder, cannot be read, or holds no model
 * folders (and an empty start was not allowed). A ConfigError (code CONFIG_INVALID) saying what to do.
 */
export class ModelRepositoryError extends ConfigError {
  constructor(
    readonly problem: ModelRepositoryProblem,
    /** The repository's absolute path. */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, errorCode: 'repository_invalid' });
  }
}
