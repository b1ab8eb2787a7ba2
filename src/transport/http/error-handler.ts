import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  InferenceError,
  InputMismatchError,
  InvalidArgumentError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnavailableError,
  toInferenceError,
  type PublicErrorCode,
} from '../../errors/index.js';
import type { InferenceService } from '../../inference/inference-service.js';
import type { Logger } from '../../telemetry/logger.js';
import { httpAction } from './auth-hook.js';
import { HTTP_STATUS } from './status.js';

/**
 * Fastify's own client errors (body too large, bad content, a route's schema) keep their 4xx status with a
 * message that says what to do, and the typed error they stand for (for the code and the observers).
 */
function fromFastify(err: FastifyError, bodyLimit: number): { status: number; error: InferenceError } | undefined {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      error: new PayloadTooLargeError(
        `request body is larger than the limit of ${bodyLimit} bytes; send smaller batches or raise body_limit_bytes`,
      ),
    };
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return {
      status: err.statusCode,
      error: new InvalidArgumentError(
        err.message,
        err.code === 'FST_ERR_VALIDATION' ? 'invalid_argument' : 'bad_request',
      ),
    };
  }
  return undefined;
}

/** The body of every error answer: the message, and the stable code a caller can look up (docs/errors.md). */
export function errorBody(err: InferenceError): { error: string; code: PublicErrorCode } {
  return { error: err.message, code: err.errorCode };
}

/**
 * An inference request that failed before the core ran it (authentication, rate limit, a body that could not be
 * decoded) is reported to the core's observers here, so it is counted and logged like any other.
 */
function reportRefusal(
  service: InferenceService | undefined,
  request: FastifyRequest,
  err: InferenceError,
  reply?: FastifyReply,
): void {
  if (!service || service.observed(err) || httpAction(request.method, request.routeOptions.url) !== 'infer') return;
  const { model, version } = (request.params as { model?: string; version?: string } | undefined) ?? {};
  const protocol = request.routeOptions.url?.endsWith('::predict') ? 'v1' : 'http';
  const traceparent = typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
  // A body read in full and refused by the model's checks is observed with its version and latency, as infer() would.
  const seconds = err instanceof InputMismatchError && reply ? reply.elapsedTime / 1000 : undefined;
  service.observeRefusal({ model, protocol, error: err, traceparent, version, seconds });
}

export interface ErrorHandlerOptions {
  readonly logger: Logger;
  readonly bodyLimit: number;
  /** Told of inference requests refused before they reached it; absent: nothing is reported. */
  readonly service?: InferenceService;
}

/**
 * Maps any error to `{"error": "...", "code": "..."}` with the status from the one table. Server faults (500) are logged with
 * their cause here; everything else that an inference request meets is the request log's (one line, not two).
 */
export function createErrorHandler({ logger, bodyLimit, service }: ErrorHandlerOptions) {
  return (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    if (!(err instanceof InferenceError)) {
      const known = fromFastify(err as FastifyError, bodyLimit);
      if (known) {
        reportRefusal(service, request, known.error);
        void reply.code(known.status).send(errorBody(known.error));
        return;
      }
    }
    const e = toInferenceError(err);
    reportRefusal(service, request, e, reply);
    const status = HTTP_STATUS[e.code];
    if (status === 500) logger.error({ err: e.cause ?? e, method: request.method, url: request.url }, 'request failed');
    if (e instanceof UnavailableError || e instanceof RateLimitedError)
      void reply.header('retry-after', String(e.retryAfterSeconds));
    if (e.code === 'UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
    void reply.code(status).send(errorBody(e));
  };
}

/** A request for a path no route serves: 404 `route_not_found`, pointing to the API's entry points. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const error = new NotFoundError(
    `no route for ${request.method} ${request.url.split('?')[0]}; see GET /v2 and /v2/models/{model}`,
    'route_not_found',
  );
  void reply.code(404).send(errorBody(error));
}
