import { ModelFormatError } from './model-format-error.js';

/** A parsed JSON object. */
export type JsonObject = { readonly [key: string]: unknown };

/** Short human description of a JSON value's type, for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** Returns `value` as an object or throws a ModelFormatError naming `path`. */
export function expectObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelFormatError(path, `expected an object, got ${describe(value)}`);
  }
  return value as JsonObject;
}

/** Returns the member `key` of `obj` as an object. */
export function expectObjectField(obj: JsonObject, key: string, path: string): JsonObject {
  return expectObject(obj[key], path === '' ? key : `${path}.${key}`);
}

/** Returns `value` as an array, optionally of an exact length. */
export function expectArray(value: unknown, path: string, length?: number): readonly unknown[] {
  if (!Array.isArray(value)) {
    throw new ModelFormatError(path, `expected an array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new ModelFormatError(path, `expected an array of length ${length}, got length ${value.length}`);
  }
  return value;
}

/** Returns `value` as a string. */
export function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') {
    throw new ModelFormatError(path, `expected a string, got ${describe(value)}`);
  }
  return value;
}

/**
 * Reads a number that XGBoost may store either as a JSON number or as a decimal string
 * (learner parameters such as `"num_feature": "30"` or `"base_score": "5E-1"`).
 */
export function expectNumberLike(value: unknown, path: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || Number.isNaN(n)) {
    throw new ModelFormatError(path, `expected a number or numeric string, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Reads a non-negative integer stored as a number or numeric string. */
export function expectCount(value: unknown, path: string): number {
  const n = expectNumberLike(value, path);
  if (!Number.isInteger(n) || n < 0) {
    throw new ModelFormatError(path, `expected a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Reads an array of integers of the given length into an Int32Array. */
export function expectIntArray(value: unknown, path: string, length?: number): Int32Array {
  const arr = expectArray(value, path, length);
  const out = new Int32Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new ModelFormatError(`${path}[${i}]`, `expected a 32-bit integer, got ${JSON.stringify(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Reads an array of numbers into a Float32Array (values rounded to float32, as XGBoost
 * stores them). `null` is accepted and read as NaN: it is what non-finite values become
 * after {@link parseXGBoostJson} repairs XGBoost's bare `NaN` tokens.
 */
export function expectFloatArray(value: unknown, path: string, length?: number): Float32Array {
  const arr = expectArray(value, path, length);
  const out = new Float32Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (v === null) {
      out[i] = NaN;
    } else if (typeof v === 'number') {
      out[i] = v;
    } else {
      throw new ModelFormatError(`${path}[${i}]`, `expected a number, got ${JSON.stringify(v)}`);
    }
  }
  return out;
}
