/**
 * The exact key of one answer: a SHA-256 over everything that decides it (besides the version, which each cache
 * is bound to): every input tensor (name, datatype, shape and its bytes, after feature enrichment), the outputs
 * asked for with their parameters, and the request parameters that can change an answer. Parameters that only
 * steer scheduling, routing or the wire format are left out, so they do not split the cache.
 */
import { createHash } from 'node:crypto';
import type { Tensor } from '../tensor/index.js';
import { tensorDataToRaw } from '../tensor/index.js';

/** Request parameters that never change the outputs: scheduling, routing, tracing and encoding. */
const NOT_IN_KEY = new Set([
  'priority',
  'timeout',
  'routing_key',
  'binary_data_output',
  'binary_data',
  'binary_data_size',
]);

export interface KeyedRequest {
  readonly inputs: readonly Tensor[];
  readonly outputs?:
    | ReadonlyArray<{ readonly name: string; readonly parameters?: Readonly<Record<string, unknown>> | undefined }>
    | undefined;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The request's key (base64url SHA-256). `ignore` names further parameters that do not change the answer (the
 * model's sticky-routing parameter; `entities` once features built the input from them).
 */
export function cacheKey(request: KeyedRequest, ignore: ReadonlySet<string> = new Set()): string {
  const hash = createHash('sha256');
  const meta: unknown[] = [];
  for (const t of request.inputs) meta.push(t.name, t.datatype, t.shape);
  meta.push('|', ...(request.outputs ?? []).map((o) => [o.name, answerParameters(o.parameters, ignore)]));
  meta.push('|', answerParameters(request.parameters, ignore));
  hash.update(JSON.stringify(meta));
  for (const t of request.inputs) {
    const raw = tensorDataToRaw(t.data);
    // The length first: two inputs whose bytes concatenate alike must not share a key.
    hash.update(String(raw.length));
    hash.update(raw);
  }
  return hash.digest('base64url');
}

/** The parameters that can change an answer, as sorted [key, value] pairs (bigints as strings). */
function answerParameters(
  parameters: Readonly<Record<string, unknown>> | undefined,
  ignore: ReadonlySet<string>,
): Array<[string, string]> {
  if (!parameters) return [];
  const out: Array<[string, string]> = [];
  for (const key of Object.keys(parameters).sort()) {
    if (NOT_IN_KEY.has(key) || ignore.has(key)) continue;
    out.push([key, JSON.stringify(parameters[key], (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? '']);
  }
  return out;
}
