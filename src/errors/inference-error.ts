/**
 * Typed errors. Every error a caller can cause is one of these. Each has a status class (`code`), which the HTTP
 * and gRPC front ends map to statuses in one table each (transport/http/status.ts, transport/grpc/status.ts), and
 * a stable error code (`errorCode`, from the registry in error-codes.ts) that callers see and can look up in
 * docs/errors.md.
 */
import { DEFAULT_CODE, ERROR_CODES, type CodeOf, type ErrorCode, type PublicErrorCode } from './error-codes.js';

export interface InferenceErrorOptions {
  readonly cause?: unknown;
  /** The code callers see; absent (or of another status class): the class's default code. */
  readonly errorCode?: PublicErrorCode | undefined;
}

export class InferenceError extends Error {
  /** The status class. */
  readonly code: ErrorCode;
  /** The stable code callers see (`code` in an HTTP error body, `inferd-error-code` in gRPC trailers). */
  readonly errorCode: PublicErrorCode;

  constructor(code: ErrorCode, message: string, options?: InferenceErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    const named = options?.errorCode;
    this.errorCode = named !== undefined && ERROR_CODES[named] === code ? named : DEFAULT_CODE[code];
  }
}

/** The request is malformed or does not match the model's signature. */
export class InvalidArgumentError extends InferenceError {
  constructor(message: string, errorCode: CodeOf<'INVALID_ARGUMENT'> = 'invalid_argument') {
    super('INVALID_ARGUMENT', message, { errorCode });
  }
}

/**
 * A request whose body was read but does not fit the model it names (declared shape, datatype, batch size),
 * refused before its data is decoded: observed like a request infer() refused, with its version and latency.
 */
export class InputMismatchError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, 'input_mismatch');
  }
}

/** An unknown model or version. */
export class NotFoundError extends InferenceError {
  constructor(message: string, errorCode: CodeOf<'NOT_FOUND'> = 'not_found') {
    super('NOT_FOUND', message, { errorCode });
  }
}

/** The model exists but is not able to serve right now (loading, failed, draining). */
export class ModelNotReadyError extends InferenceError {
  constructor(message: string) {
    super('MODEL_NOT_READY', message);
  }
}

/** A request body over a limit (the server's or the model's). */
export class PayloadTooLargeError extends InferenceError {
  constructor(message: string) {
    super('PAYLOAD_TOO_LARGE', message);
  }
}

/** The server refuses work it cannot take now (queue full, shutting down). Retry later. */
export class UnavailableError extends InferenceError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 1, errorCode: CodeOf<'UNAVAILABLE'> = 'unavailable') {
    super('UNAVAILABLE', message, { errorCode });
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
  constructor(message: string, options?: { cause?: unknown; errorCode?: CodeOf<'CONFIG_INVALID'> | undefined }) {
    super('CONFIG_INVALID', message, options);
  }
}

/** A model version that could not be loaded; the message says why and what to fix. */
export class ModelLoadError extends InferenceError {
  constructor(message: string, options?: { cause?: unknown; errorCode?: CodeOf<'MODEL_LOAD_FAILED'> | undefined }) {
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
    super(message, 'input_rejected');
    this.reason = reason;
  }
}
