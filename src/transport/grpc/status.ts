/**
 * The one table from error codes to gRPC status codes, and the conversion of any error into the status a
 * handler answers with. Messages are the same as the HTTP front end's.
 */
import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { RateLimitedError, UnavailableError, type ErrorCode, type InferenceError } from '../../errors/index.js';

export const GRPC_STATUS: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  UNSUPPORTED: status.INVALID_ARGUMENT,
  CONFIG_INVALID: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  MODEL_NOT_READY: status.UNAVAILABLE,
  UNAVAILABLE: status.UNAVAILABLE,
  PAYLOAD_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  MODEL_LOAD_FAILED: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  INTERNAL: status.INTERNAL,
};

/** True for failures that are the server's fault (worth logging), as opposed to client mistakes or load. */
export function isServerFault(err: InferenceError): boolean {
  return GRPC_STATUS[err.code] === status.INTERNAL;
}

/** Lone UTF-16 surrogates (a client's invalid UTF-8, echoed in a message) as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The longest status details sent, in characters. Details travel in the `grpc-message` trailer, percent-encoded
 * (up to 9 bytes a character): a message echoing a client's megabyte-long model name would make a trailer no
 * HTTP/2 peer accepts (grpc-js clients take 8 KiB of metadata), and the call would never complete.
 */
export const MAX_DETAILS_CHARS = 1024;

/**
 * Status details as grpc-js can send them: it percent-encodes them with encodeURI, which throws on a lone
 * surrogate, outside any handler, and would bring the process down. A message that echoes a client's name (a
 * model name decoded from invalid UTF-8, say) is made well-formed first, and a long one is shortened.
 */
export function wellFormedDetails(message: string): string {
  const short =
    message.length <= MAX_DETAILS_CHARS
      ? message
      : `${message.slice(0, MAX_DETAILS_CHARS - 64)}… (shortened from ${message.length} characters)`;
  return short.replace(LONE_SURROGATE, '\uFFFD');
}

/** The trailing metadata key of an error's stable code (docs/errors.md). */
export const ERROR_CODE_METADATA = 'inferd-error-code';

/**
 * The status a handler answers for an error (`toInferenceError` turns anything else into one). Its trailing
 * metadata carries the error's stable code as `inferd-error-code` (docs/errors.md), and a refused request (queue
 * full, rate limited) `retry-after` (seconds), as the HTTP front end sends the code in its body and the header.
 */
export function toGrpcStatus(err: InferenceError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA, err.errorCode);
  if (err instanceof UnavailableError || err instanceof RateLimitedError)
    metadata.set('retry-after', String(err.retryAfterSeconds));
  return { code: GRPC_STATUS[err.code], details: wellFormedDetails(err.message), metadata };
}
