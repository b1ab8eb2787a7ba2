/**
 * The one registry of error codes. Every refusal inferd answers carries one of these stable, snake_case codes
 * (HTTP: `{"error": "...", "code": "..."}`; gRPC: trailing metadata `inferd-error-code`), documented with its
 * statuses and what to do in docs/errors.md (a test keeps the two in agreement). A code is never renamed nor
 * reused for another meaning; new ones may be added.
 *
 * Each code belongs to one status class (`ErrorStatusClass`), from which the front ends take the HTTP and gRPC
 * status (transport/http/status.ts, transport/grpc/status.ts).
 */

/** The status class of an error: what the front ends map to an HTTP and a gRPC status. */
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

/** Every error code a caller can meet, with its status class. */
export const ERROR_CODES = {
  invalid_argument: 'INVALID_ARGUMENT',
  input_mismatch: 'INVALID_ARGUMENT',
  input_rejected: 'INVALID_ARGUMENT',
  bad_request: 'INVALID_ARGUMENT',
  unsupported: 'UNSUPPORTED',
  body_too_large: 'PAYLOAD_TOO_LARGE',
  not_found: 'NOT_FOUND',
  route_not_found: 'NOT_FOUND',
  model_not_found: 'NOT_FOUND',
  version_not_found: 'NOT_FOUND',
  not_configured: 'NOT_FOUND',
  model_not_ready: 'MODEL_NOT_READY',
  unavailable: 'UNAVAILABLE',
  queue_full: 'UNAVAILABLE',
  concurrency_limit: 'UNAVAILABLE',
  adaptive_limit: 'UNAVAILABLE',
  priority_shed: 'UNAVAILABLE',
  version_unloading: 'UNAVAILABLE',
  circuit_open: 'UNAVAILABLE',
  server_busy: 'UNAVAILABLE',
  state_store_unavailable: 'UNAVAILABLE',
  artifact_store_unavailable: 'UNAVAILABLE',
  deadline_exceeded: 'DEADLINE_EXCEEDED',
  config_invalid: 'CONFIG_INVALID',
  repository_invalid: 'CONFIG_INVALID',
  model_load_failed: 'MODEL_LOAD_FAILED',
  model_format_invalid: 'MODEL_LOAD_FAILED',
  warmup_failed: 'MODEL_LOAD_FAILED',
  integrity_refused: 'MODEL_LOAD_FAILED',
  unauthenticated: 'UNAUTHENTICATED',
  permission_denied: 'PERMISSION_DENIED',
  rate_limited: 'RATE_LIMITED',
  internal_error: 'INTERNAL',
} as const satisfies Record<string, ErrorCode>;

/** A code a caller sees (the `code` of an HTTP error body, gRPC's `inferd-error-code`). */
export type PublicErrorCode = keyof typeof ERROR_CODES;

/** Codes only the HTTP layer answers (a path no route serves, a request refused before any route read it). */
export const HTTP_ONLY_CODES: readonly PublicErrorCode[] = ['bad_request', 'route_not_found'];

/** The codes of one status class: what an error class of that status may carry. */
export type CodeOf<C extends ErrorCode> = {
  [K in PublicErrorCode]: (typeof ERROR_CODES)[K] extends C ? K : never;
}[PublicErrorCode];

/** The code an error of a status class carries when its thrower names none. */
export const DEFAULT_CODE: { readonly [C in ErrorCode]: CodeOf<C> } = {
  INVALID_ARGUMENT: 'invalid_argument',
  NOT_FOUND: 'not_found',
  MODEL_NOT_READY: 'model_not_ready',
  PAYLOAD_TOO_LARGE: 'body_too_large',
  UNAVAILABLE: 'unavailable',
  DEADLINE_EXCEEDED: 'deadline_exceeded',
  UNSUPPORTED: 'unsupported',
  CONFIG_INVALID: 'config_invalid',
  MODEL_LOAD_FAILED: 'model_load_failed',
  UNAUTHENTICATED: 'unauthenticated',
  PERMISSION_DENIED: 'permission_denied',
  RATE_LIMITED: 'rate_limited',
  INTERNAL: 'internal_error',
};

/** True for a string that is a registered code (a code that crossed a thread or the wire as text). */
export function isPublicErrorCode(value: unknown): value is PublicErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** `value` when it is a registered code of the status class `cls`; undefined otherwise (the class's default then applies). */
export function codeOfClass<C extends ErrorCode>(cls: C, value: unknown): CodeOf<C> | undefined {
  return isPublicErrorCode(value) && ERROR_CODES[value] === cls ? (value as CodeOf<C>) : undefined;
}
