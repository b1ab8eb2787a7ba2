/**
 * The row both stores keep per prediction (one column per field; tensors and parameters as JSON text), and the
 * conversions to it from an AuditRecord, from it to a LoggedPrediction, and from that to its JSON form.
 */
import type { AuditRecord, LoggedPrediction, StoredPrediction } from './audit-record.js';
import { parametersJson, tensorsJson } from './snapshot.js';

/** The principal of requests when auth is off (and of rows logged before principals were recorded). */
export const ANONYMOUS_PRINCIPAL = 'anonymous';

/** The select list that reads a PredictionRow and its row id (`seq`) from SQLite's predictions table. */
export const SQLITE_SELECT_PREDICTION =
  'id AS seq, request_id, time_ms, caller, principal, claimed_caller, model, version, protocol, latency_ms, inputs, outputs, parameters';

/** The same from PostgreSQL's (times as ms, JSON as text). */
export const POSTGRES_SELECT_PREDICTION = `id AS seq, request_id, round(extract(epoch FROM time) * 1000)::float8 AS time_ms, caller, principal, claimed_caller, model, version, protocol,
  latency_ms, inputs::text AS inputs, outputs::text AS outputs, parameters::text AS parameters`;

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

/** A row read back (with its row id as `seq`) as the one logged-prediction shape. */
export function fromRow(row: PredictionRow & { readonly seq: number | string }): LoggedPrediction {
  return {
    seq: Number(row.seq),
    requestId: row.request_id,
    timeMs: Number(row.time_ms),
    caller: row.caller,
    principal: row.principal,
    claimedCaller: row.claimed_caller,
    model: row.model,
    version: row.version,
    protocol: row.protocol,
    latencyMs: Number(row.latency_ms),
    inputs: JSON.parse(row.inputs) as LoggedPrediction['inputs'],
    outputs: JSON.parse(row.outputs) as LoggedPrediction['outputs'],
    parameters: row.parameters === null ? null : (JSON.parse(row.parameters) as LoggedPrediction['parameters']),
  };
}

/** A logged prediction as the query API answers it. */
export function predictionJson(p: LoggedPrediction): StoredPrediction {
  return {
    request_id: p.requestId,
    time: new Date(p.timeMs).toISOString(),
    caller: p.caller,
    caller_source: p.principal === ANONYMOUS_PRINCIPAL ? 'claimed' : 'authenticated',
    claimed_caller: p.claimedCaller,
    model: p.model,
    version: p.version,
    protocol: p.protocol,
    latency_ms: p.latencyMs,
    inputs: p.inputs,
    outputs: p.outputs,
    parameters: p.parameters,
  };
}
