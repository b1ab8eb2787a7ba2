/**
 * What the audit trail records per prediction: in memory (AuditRecord, cheap to take on the request path), and as
 * read back from the log (LoggedPrediction: the query API, feedback joins, export and replay all read this one
 * shape; StoredPrediction is its JSON form in GET /v1/predictions).
 */
import type { Datatype, TensorData } from '../tensor/index.js';

/**
 * One tensor as recorded: a copy of at most `max_elements` elements (taken before the request's buffers move to a
 * worker thread), or nothing when the tensor is redacted. Converted to JSON by the sink, off the request path.
 */
export interface TensorSnapshot {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  /** The first elements (row-major); undefined when redacted. */
  readonly data: TensorData | undefined;
  /** Elements the tensor had; more than data.length when truncated. */
  readonly total: number;
  readonly redacted: boolean;
}

/** One prediction, as taken on the request path. */
export interface AuditRecord {
  /** The request's `id`, or a generated time-ordered UUID (v7) when it had none. */
  readonly requestId: string;
  /** When the answer was ready, ms since the epoch. */
  readonly timeMs: number;
  /**
   * Who asked: with auth on, the authenticated principal (`key:<name>` or `jwt:<issuer>:<sub>`); with auth off,
   * the name the client claimed in `x-inferd-caller`, or 'anonymous'.
   */
  readonly caller: string;
  /** The authenticated principal's id; 'anonymous' when auth is off. Never taken from the client. */
  readonly principal: string;
  /** The `x-inferd-caller` header (gRPC metadata) as sent, kept apart and never trusted; undefined when absent. */
  readonly claimedCaller: string | undefined;
  readonly model: string;
  /** The version that answered. */
  readonly version: string;
  /** http, grpc, v1 or library. */
  readonly protocol: string;
  /** From the start of inference to the answer. */
  readonly latencyMs: number;
  readonly inputs: readonly TensorSnapshot[];
  readonly outputs: readonly TensorSnapshot[];
  /** Request parameters, redacted per policy; undefined when there were none. */
  readonly parameters: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A tensor as JSON: as the prediction log stores it (numbers; strings for BYTES and 64-bit integers beyond 2^53; with
 * notes when redacted or truncated), and as a V2 JSON response output reads back (replay compares the two).
 */
export interface StoredTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  /** Absent when redacted. */
  readonly data?: readonly unknown[];
  /** The fixed marker when the tensor is redacted. */
  readonly redacted?: string;
  /** Present when only the first `kept` of `total` elements were stored. */
  readonly truncated?: { readonly kept: number; readonly total: number };
}

/** One prediction as read back from the log. */
export interface LoggedPrediction {
  /** Storage order (the table's row id): the cursor of paged reads. */
  readonly seq: number;
  readonly requestId: string;
  /** When it was answered, ms since the epoch. */
  readonly timeMs: number;
  /** The authenticated principal, else the claimed caller, else 'anonymous'. */
  readonly caller: string;
  /** The authenticated caller that asked; 'anonymous' with auth off. */
  readonly principal: string;
  /** What the client claimed in x-inferd-caller; null when it sent none. */
  readonly claimedCaller: string | null;
  readonly model: string;
  readonly version: string;
  readonly protocol: string;
  readonly latencyMs: number;
  readonly inputs: readonly StoredTensor[];
  readonly outputs: readonly StoredTensor[];
  readonly parameters: Readonly<Record<string, unknown>> | null;
}

/** A logged prediction as GET /v1/predictions answers it (predictionJson in prediction-row.ts makes it). */
export interface StoredPrediction {
  readonly request_id: string;
  /** ISO 8601. */
  readonly time: string;
  readonly caller: string;
  /** `authenticated`: caller is the principal auth verified; `claimed`: the client's own word (auth off). */
  readonly caller_source: 'authenticated' | 'claimed';
  /** What the client claimed in x-inferd-caller; null when it sent none. */
  readonly claimed_caller: string | null;
  readonly model: string;
  readonly version: string;
  readonly protocol: string;
  readonly latency_ms: number;
  readonly inputs: readonly StoredTensor[];
  readonly outputs: readonly StoredTensor[];
  readonly parameters: Readonly<Record<string, unknown>> | null;
}

/** Filters of a prediction query; records come newest first. */
export interface AuditQuery {
  readonly model?: string | undefined;
  /** Records at or after this time, ms since the epoch. */
  readonly sinceMs?: number | undefined;
  readonly requestId?: string | undefined;
  readonly limit: number;
}
