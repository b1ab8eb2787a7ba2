/**
 * Checks one feature value against its spec (type, range, null) and applies the spec's policy: impute the
 * default, or reject the request with a 400 that names the feature and says what to do.
 */
import type { FeatureSpec } from '../config/index.js';
import { InvalidArgumentError } from '../errors/index.js';

export type CheckedValue =
  | { readonly kind: 'ok'; readonly value: number }
  | { readonly kind: 'null' }
  | { readonly kind: 'invalid'; readonly why: string };

const FLOAT32_MAX = 3.4028234663852886e38;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Turns what a store or a request holds (number, numeric text, boolean, null) into a number or null. */
function toNumber(raw: unknown): number | null | undefined {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw === 'number') return Number.isNaN(raw) ? null : raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'string') {
    if (raw === 'true' || raw === 'false') return raw === 'true' ? 1 : 0;
    const n = Number(raw);
    if (raw.trim() !== '' && !Number.isNaN(n)) return n;
    if (raw === 'NaN' || raw === 'nan') return null;
  }
  return undefined;
}

function typeProblem(spec: FeatureSpec, v: number): string | undefined {
  if (!Number.isFinite(v)) return `${v} is not a finite number`;
  switch (spec.type) {
    case 'BOOL':
      return v === 0 || v === 1 ? undefined : `${v} is not a boolean (0/1, true/false)`;
    case 'INT32':
      return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? undefined : `${v} is not a 32-bit integer`;
    case 'INT64':
      return Number.isSafeInteger(v) ? undefined : `${v} is not an integer (within ±2^53)`;
    case 'FP32':
      return Math.abs(v) <= FLOAT32_MAX ? undefined : `${v} is outside the FP32 range`;
    default:
      return undefined;
  }
}

/** Checks a raw value against the feature's type and range. */
export function checkFeatureValue(spec: FeatureSpec, raw: unknown): CheckedValue {
  const v = toNumber(raw);
  if (v === null) return { kind: 'null' };
  if (v === undefined) return { kind: 'invalid', why: `${JSON.stringify(raw)?.slice(0, 40)} is not a number` };
  const problem = typeProblem(spec, v);
  if (problem) return { kind: 'invalid', why: `${problem} (type ${spec.type})` };
  if (spec.min !== undefined && v < spec.min) return { kind: 'invalid', why: `${v} is below min ${spec.min}` };
  if (spec.max !== undefined && v > spec.max) return { kind: 'invalid', why: `${v} is above max ${spec.max}` };
  return { kind: 'ok', value: v };
}

/** The value a model gets for a checked value: the value itself, the default (imputed), or a 400. */
export function resolveFeatureValue(
  spec: FeatureSpec,
  checked: CheckedValue,
  where: () => string,
): { value: number; imputed: boolean } {
  if (checked.kind === 'ok') return { value: checked.value, imputed: false };
  if (checked.kind === 'null') {
    if (spec.onNull === 'impute') return { value: spec.default, imputed: true };
    throw new InvalidArgumentError(
      `${where()} is missing (null or NaN) and feature '${spec.name}' does not allow it (on_null: reject); send a ${spec.type} value`,
    );
  }
  if (spec.onInvalid === 'impute') return { value: spec.default, imputed: true };
  throw new InvalidArgumentError(
    `${where()} is invalid: ${checked.why}; send a valid ${spec.type} value${rangeText(spec)}`,
  );
}

function rangeText(spec: FeatureSpec): string {
  if (spec.min === undefined && spec.max === undefined) return '';
  return ` in [${spec.min ?? '-∞'}, ${spec.max ?? '∞'}]`;
}
