/**
 * `map<string, InferParameter>` ⇄ plain parameter values, as the core reads them (`priority`, `timeout`, ...).
 */
import type { Parameters } from '../../inference/types.js';
import type { InferParameter, InferParameterMap } from './messages.js';

/** A 64-bit integer (a decimal string on the wire) as a number when exact, else kept as its string. */
function integer(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

function fromParameter(p: InferParameter): unknown {
  switch (p.parameter_choice) {
    case 'bool_param':
      return p.bool_param;
    case 'int64_param':
      return integer(p.int64_param!);
    case 'uint64_param':
      return integer(p.uint64_param!);
    case 'double_param':
      return p.double_param;
    case 'string_param':
      return p.string_param;
    default:
      return undefined; // an InferParameter with no member set carries no value
  }
}

/** Plain values of a parameter map; undefined when the map is empty. */
export function parametersFromProto(map: InferParameterMap | undefined): Parameters | undefined {
  const entries = Object.entries(map ?? {})
    .map(([key, p]) => [key, fromParameter(p)] as const)
    .filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function toParameter(value: unknown): InferParameter {
  if (typeof value === 'boolean') return { bool_param: value };
  if (typeof value === 'bigint') return { int64_param: value.toString() };
  if (typeof value === 'number')
    return Number.isSafeInteger(value) ? { int64_param: String(value) } : { double_param: value };
  if (typeof value === 'string') return { string_param: value };
  return { string_param: JSON.stringify(value) ?? String(value) };
}

/** A parameter map for a response; values without a protobuf counterpart are sent as JSON text. */
export function parametersToProto(params: Parameters | undefined): Record<string, InferParameter> {
  const out: Record<string, InferParameter> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined) out[key] = toParameter(value);
  }
  return out;
}
