/**
 * Typed errors with stable codes. Every error a caller can cause is one of these; the HTTP and gRPC
 * front ends map codes to statuses in one table each (see transport/http/status.ts).
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'MODEL_NOT_READY'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'UNSUPPORTED'
  | 'CONFIG_INVALID'
  | 'MODEL_LOAD_FAILED'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'RATE_LIMITED'
  | 'INTERNAL';

export class InferenceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The request is malformed or does not match the model's signature. */
export class InvalidArgumentError extends InferenceError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/**
 * A request whose body was read but does not fit the model it names (declared shape, datatype, batch size),
 * refused before its data is decoded: observed like a request infer() refused, with its version and latency.
 */
export class InputMismatchError extends InvalidArgumentError {}

/** An unknown model or version. */
export class NotFoundError extends InferenceError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** The model exists but is not able to serve right now (loading, failed, draining). */
export class ModelNotReadyError extends InferenceError {
  constructor(message: string) {
    super('MODEL_NOT_READY', message);
  }
}

export class PayloadTooLargeError extends InferenceError {
  constructor(message: string) {
    super('PAYLOAD_TOO_LARGE', message);
  }
}

/** The server refuses work it cannot take now (queue full, shutting down). Retry later. */
export class UnavailableError extends InferenceError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 1) {
    super('UNAVAILABLE', message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class DeadlineExceededError extends InferenceError {
  constructor(message: string) {
    super('DEADLINE_EXCEEDED', message);
  }
}

export class UnsupportedError extends InferenceError {
  constructor(message: string) {
    super('UNSUPPORTED', message);
  }
}

/** A configuration file or value is invalid. The message names the file and the field. */
export class ConfigError extends InferenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}

export class ModelLoadError extends InferenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MODEL_LOAD_FAILED', message, options);
  }
}

/** No valid credentials came with the request (missing, unknown, expired or for another audience). */
export class UnauthenticatedError extends InferenceError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** The caller is known but lacks the scope the action needs; the message names the scope. */
export class PermissionDeniedError extends InferenceError {
  readonly scope: string;

  constructor(message: string, scope: string) {
    super('PERMISSION_DENIED', message);
    this.scope = scope;
  }
}

/** The caller (or the model) is over its request rate. Retry after `retryAfterSeconds`. */
export class RateLimitedError extends InferenceError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super('RATE_LIMITED', message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Wraps anything that is not an InferenceError so the edge can answer with a code, keeping the cause. */
export function toInferenceError(err: unknown): InferenceError {
  if (err instanceof InferenceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InferenceError('INTERNAL', `internal error: ${message}`, { cause: err });
}

/**
 * The model failed at run time on this request's input while other requests run with it were answered: the input
 * is what the model rejects (e.g. an index out of range), so it is the caller's to fix. An INVALID_ARGUMENT (400),
 * which never spends an SLO's budget nor counts against the model's circuit breaker.
 */
export class RejectedInputError extends InvalidArgumentError {
  /** The runtime's own reason, paths removed. */
  readonly reason: string;

  constructor(message: string, reason: string) {
    super(message);
    this.reason = reason;
  }
}
