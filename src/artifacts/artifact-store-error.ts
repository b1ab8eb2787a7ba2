import { UnavailableError } from '../errors/index.js';

/** Why a store could not be read, as operators act on it. */
export type StoreProblem = 'unreachable' | 'credentials' | 'no_bucket' | 'throttled' | 'failed';

/**
 * The artefact store could not be read. Serving is not affected (what is loaded stays loaded); a load that
 * needed the store answers 503 with this message, which names the bucket and, for credentials, where they came
 * from, never a secret.
 */
export class ArtifactStoreError extends UnavailableError {
  constructor(
    readonly problem: StoreProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, 5, 'artifact_store_unavailable');
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
