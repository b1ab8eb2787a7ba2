/**
 * Taking tensors for the record (cheap, on the request path: one bounded copy per tensor) and turning them into
 * JSON (in the writer, off the request path).
 */
import { fromBFloat16Bits, fromFloat16Bits } from '../lib/float16.js';
import type { Tensor, TensorData } from '../tensor/index.js';
import type { StoredTensor, TensorSnapshot } from './audit-record.js';
import { REDACTED, type RedactionPolicy } from './redaction.js';

/** Options for snapshotTensors. */
export interface SnapshotOptions {
  readonly policy: RedactionPolicy;
  readonly section: 'inputs' | 'outputs';
  /** Elements kept per tensor. */
  readonly maxElements: number;
}

/**
 * Copies the first `maxElements` elements of each tensor; a redacted tensor keeps its name, datatype and shape
 * only. The copy must be taken before the request's input buffers are transferred to a worker thread.
 */
export function snapshotTensors(tensors: readonly Tensor[], options: SnapshotOptions): TensorSnapshot[] {
  return tensors.map((t) => {
    const redacted = options.policy[options.section].has(t.name);
    const data = redacted ? undefined : t.data.slice(0, options.maxElements);
    return { name: t.name, datatype: t.datatype, shape: [...t.shape], data, total: t.data.length, redacted };
  });
}

/** JSON-safe elements: numbers; strings for BYTES and for 64-bit integers a double cannot hold exactly. */
function jsonElements(datatype: string, data: TensorData): unknown[] {
  if (datatype === 'FP16') return Array.from(data as Uint16Array, fromFloat16Bits);
  if (datatype === 'BF16') return Array.from(data as Uint16Array, fromBFloat16Bits);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return Array.from(data, (v) => (v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString()));
  }
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (v) => v !== 0);
  return Array.from(data as ArrayLike<unknown>);
}

/** The stored form of a snapshot. */
export function storedTensor(s: TensorSnapshot): StoredTensor {
  const base = { name: s.name, datatype: s.datatype, shape: [...s.shape] };
  if (s.redacted || s.data === undefined) return { ...base, redacted: REDACTED };
  const data = jsonElements(s.datatype, s.data);
  return data.length < s.total
    ? { ...base, data, truncated: { kept: data.length, total: s.total } }
    : { ...base, data };
}

/** JSON text of a list of snapshots. NaN and infinities become null, as in the V2 protocol. */
export function tensorsJson(snapshots: readonly TensorSnapshot[]): string {
  return JSON.stringify(snapshots.map(storedTensor));
}

/** JSON text of parameters (64-bit integers from gRPC as strings when too large for a double); null when none. */
export function parametersJson(parameters: Readonly<Record<string, unknown>> | undefined): string | null {
  if (parameters === undefined) return null;
  return JSON.stringify(parameters, (_key, value: unknown) =>
    typeof value === 'bigint' ? (Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()) : value,
  );
}
