/**
 * The row both stores keep per prediction (one column per field; tensors and parameters as JSON text), and the
 * conversions to it from an AuditRecord and from it to a StoredPrediction.
 */
import type { AuditRecord, StoredPrediction } from './audit-record.js';
import { parametersJson, tensorsJson } from './snapshot.js';

/** The principal of requests when auth is off (and of rows logged before principals were recorded). */
export const ANONYMOUS_PRINCIPAL = 'anonymous';

export interface PredictionRow {
  readonly request_id: string;
  readonly time_ms: number;
  readonly caller: string;
  /** The authenticated principal; 'anonymous' with auth off (and for rows logged before it was recorded). */
  readonly principal: string;
  readonly claimed_caller: string | null;
  readonly model: string;
  readonly version: string;
  readonly protocol: string;
  readonly latency_ms: number;
  /** JSON array of StoredTensor. */
  readonly inputs: string;
  readonly outputs: string;
  /** JSON object, or null when the request had no parameters. */
  readonly parameters: string | null;
}

/** Serialises a record (the JSON work happens here, in the writer). */
export function toRow(r: AuditRecord): PredictionRow {
  return {
    request_id: r.requestId,
    time_ms: r.timeMs,
    caller: r.caller,
    principal: r.principal,
    claimed_caller: r.claimedCaller ?? null,
    model: r.model,
    version: r.version,
    protocol: r.protocol,
    latency_ms: r.latencyMs,
    inputs: tensorsJson(r.inputs),
    outputs: tensorsJson(r.outputs),
    parameters: parametersJson(r.parameters),
  };
}

/** A stored row as the query API answers it. */
export function fromRow(row: PredictionRow): StoredPrediction {
  return {
    request_id: row.request_id,
    time: new Date(Number(row.time_ms)).toISOString(),
    caller: row.caller,
    caller_source: row.principal === ANONYMOUS_PRINCIPAL ? 'claimed' : 'authenticated',
    claimed_caller: row.claimed_caller,
    model: row.model,
    version: row.version,
    protocol: row.protocol,
    latency_ms: Number(row.latency_ms),
    inputs: JSON.parse(row.inputs) as StoredPrediction['inputs'],
    outputs: JSON.parse(row.outputs) as StoredPrediction['outputs'],
    parameters: row.parameters === null ? null : (JSON.parse(row.parameters) as StoredPrediction['parameters']),
  };
}
