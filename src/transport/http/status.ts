import type { ErrorCode } from '../../errors/index.js';

/** The one table from error codes to HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNSUPPORTED: 400,
  CONFIG_INVALID: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  MODEL_NOT_READY: 503,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  MODEL_LOAD_FAILED: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RATE_LIMITED: 429,
  INTERNAL: 500,
};
