import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InferenceError, RateLimitedError, UnavailableError, toInferenceError } from '../../errors/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { HTTP_STATUS } from './status.js';

/** Fastify's own client errors (body too large, bad content) keep their 4xx status with a message that says what to do. */
function fromFastify(err: FastifyError, bodyLimit: number): { status: number; message: string } | undefined {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, message: `request body is larger than the limit of ${bodyLimit} bytes; send smaller batches or raise body_limit_bytes` };
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return { status: err.statusCode, message: err.message };
  return undefined;
}

/** Maps any error to `{"error": "..."}` with the status from the one table. Unknown errors are 500 and logged. */
export function createErrorHandler(logger: Logger, bodyLimit: number) {
  return (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    if (!(err instanceof InferenceError)) {
      const known = fromFastify(err as FastifyError, bodyLimit);
      if (known) {
        void reply.code(known.status).send({ error: known.message });
        return;
      }
    }
    const e = toInferenceError(err);
    const status = HTTP_STATUS[e.code];
    if (status >= 500 && e.code !== 'UNAVAILABLE' && e.code !== 'MODEL_NOT_READY') {
      logger.error({ err: e.cause ?? e, method: request.method, url: request.url }, 'request failed');
    }
    if (e instanceof UnavailableError || e instanceof RateLimitedError) void reply.header('retry-after', String(e.retryAfterSeconds));
    if (e.code === 'UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
    void reply.code(status).send({ error: e.message });
  };
}
