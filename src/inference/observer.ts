/**
 * What the data plane reports about each request, for metrics, SLOs and traces. The core calls observers; it
 * does not know what they do with the numbers.
 */
import { InferenceError, RejectedInputError } from '../errors/index.js';

/**
 * `unauthorized` (401/403) and `rate_limited` (429) are refusals of the caller, like `client_error` they do not
 * spend an SLO's budget; `rejected` is a refusal under load (shedding, a model unloading). `bad_input` is a request
 * the model failed on at run time while others batched with it were answered (RejectedInputError): the caller's,
 * like `client_error`.
 */
export type Outcome =
  'success' | 'client_error' | 'bad_input' | 'unauthorized' | 'rate_limited' | 'rejected' | 'timeout' | 'error';

export type Stage = 'features' | 'queue' | 'compute' | 'postprocess';

export interface RequestObservation {
  readonly model: string;
  /** The version that answered, or '' when none was resolved. */
  readonly version: string;
  /** http, grpc, v1 or library. */
  readonly protocol: string;
  readonly outcome: Outcome;
  /** From the decoded request to the answer, in seconds. */
  readonly seconds: number;
  /** Seconds spent in each stage that ran. */
  readonly stages: Readonly<Partial<Record<Stage, number>>>;
  /** Rows in the runtime call that served the request. */
  readonly batchRows?: number | undefined;
  /** performance.now() when the request reached the core; spans use the same clock. */
  readonly startedMs?: number;
  /** Start and end (performance.now() ms) of each part of the request path that ran. */
  readonly spans?: Readonly<
    Partial<
      Record<
        'features' | 'validation' | 'queue' | 'inference' | 'postprocess' | `step ${string}`,
        readonly [number, number]
      >
    >
  >;
  /** Seconds of work per CPU stage of the core (cost/cpu-stages.ts): the cost ledger's weights. */
  readonly cpu?: Readonly<Partial<Record<'decode' | 'features' | 'queue' | 'compute' | 'encode' | 'other', number>>>;
  readonly requestId?: string | undefined;
  /** The caller's W3C traceparent, if any. */
  readonly traceparent?: string | undefined;
  /** The error's message when the request failed. */
  readonly error?: string;
  /** The error's stable code (ErrorCode) when the request failed. */
  readonly code?: string;
  /** Why a request was shed under load (queue_full, concurrency_limit, adaptive_limit, evicted). */
  readonly shedReason?: string;
  /**
   * Refused before the core ran it (authentication, rate limit, decoding, admission): `started()` was not called,
   * `seconds` is 0 and no stage ran.
   */
  readonly refusedEarly?: boolean;
}

export interface InferenceObserver {
  /** A request began (before its version is known). */
  started?(): void;
  observe(observation: RequestObservation): void;
}

/** The outcome class of an error: the caller's mistake, a refusal under load, a queue timeout, or a server fault. */
export function outcomeOf(err: unknown): Outcome {
  if (!(err instanceof InferenceError)) return 'error';
  if (err instanceof RejectedInputError) return 'bad_input';
  switch (err.code) {
    case 'INVALID_ARGUMENT':
    case 'NOT_FOUND':
    case 'UNSUPPORTED':
    case 'PAYLOAD_TOO_LARGE':
    case 'CONFIG_INVALID':
      return 'client_error';
    case 'UNAVAILABLE':
      return 'rejected';
    case 'DEADLINE_EXCEEDED':
      return 'timeout';
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return 'unauthorized';
    case 'RATE_LIMITED':
      return 'rate_limited';
    default:
      return 'error';
  }
}
