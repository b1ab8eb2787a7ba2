/**
 * Conversion between JSON `data` arrays (flat or nested, as the Open Inference Protocol allows) and tensor storage.
 */
import { InvalidArgumentError } from '../errors/index.js';
import { fromBFloat16Bits, fromFloat16Bits, toBFloat16Bits, toFloat16Bits } from '../lib/float16.js';
import { allocate, INTEGER_RANGES, type Datatype, type NumericArray, type TensorData } from './datatype.js';
import { formatShape } from './shape.js';

/** Flattens nested arrays in row-major order into `out`. Throws if nesting is deeper than `maxDepth`. */
function flattenInto(value: unknown, out: unknown[], depth: number, maxDepth: number, what: string): void {
  if (!Array.isArray(value)) {
    out.push(value);
    return;
  }
  if (depth > maxDepth) {
    throw new InvalidArgumentError(`${what}: 'data' is nested deeper than the tensor's rank`);
  }
  for (const item of value) flattenInto(item, out, depth + 1, maxDepth, what);
}

function flatten(data: unknown[], rank: number, what: string): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  for (const item of data) flattenInto(item, out, 1, Math.max(rank, 1), what);
  return out;
}

function badElement(
  what: string,
  datatype: Datatype,
  index: number,
  value: unknown,
  expected: string,
): InvalidArgumentError {
  const shown = JSON.stringify(value) ?? String(value);
  return new InvalidArgumentError(
    `${what}: element ${index} is ${shown.slice(0, 40)}, which is not ${expected}; datatype ${datatype} needs ${expected} values`,
  );
}

function fillFloats(values: unknown[], datatype: Datatype, what: string, encode?: (v: number) => number): NumericArray {
  const out = allocate(datatype as 'FP32', values.length) as Float32Array | Float64Array | Uint16Array;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (v === null) v = NaN; // JSON has no NaN: null stands for a missing value
    if (typeof v !== 'number') throw badElement(what, datatype, i, v, 'a number (or null for a missing value)');
    out[i] = encode ? encode(v) : v;
  }
  return out;
}

function fillIntegers(values: unknown[], datatype: Datatype, what: string): NumericArray {
  const [min, max] = INTEGER_RANGES[datatype] ?? [-Infinity, Infinity];
  const out = allocate(datatype as 'INT32', values.length) as Int32Array;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) throw badElement(what, datatype, i, v, 'an integer');
    if (v < min || v > max) {
      throw new InvalidArgumentError(`${what}: element ${i} is ${v}, outside the ${datatype} range [${min}, ${max}]`);
    }
    out[i] = v;
  }
  return out;
}

/** Longest decimal string a 64-bit integer needs: '-' and 19 digits, or 20 digits; a few leading zeros are allowed. */
const MAX_INT64_DIGITS = 24;

const BIG_RANGES = { INT64: [-(2n ** 63n), 2n ** 63n - 1n], UINT64: [0n, 2n ** 64n - 1n] } as const;

function fillBigIntegers(values: unknown[], datatype: 'INT64' | 'UINT64', what: string): NumericArray {
  const out = datatype === 'INT64' ? new BigInt64Array(values.length) : new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // A decimal string longer than any 64-bit integer is refused before BigInt parses it (superlinear in its length).
    const ok =
      (typeof v === 'number' && Number.isInteger(v)) ||
      (typeof v === 'string' && v.length <= MAX_INT64_DIGITS && /^-?\d+$/.test(v));
    if (!ok)
      throw badElement(
        what,
        datatype,
        i,
        v,
        `an integer (a number, or a string of at most ${MAX_INT64_DIGITS} characters)`,
      );
    const big = BigInt(v as number | string);
    const [min, max] = BIG_RANGES[datatype];
    if (big < min || big > max) {
      throw new InvalidArgumentError(
        `${what}: element ${i} is ${String(v)}, outside the ${datatype} range [${min}, ${max}]`,
      );
    }
    out[i] = big;
  }
  return out;
}

function fillBools(values: unknown[], what: string): NumericArray {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'boolean') throw badElement(what, 'BOOL', i, v, 'true or false');
    out[i] = v ? 1 : 0;
  }
  return out;
}

function fillStrings(values: unknown[], what: string): string[] {
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'string') throw badElement(what, 'BYTES', i, values[i], 'a string');
  }
  return values as string[];
}

/**
 * Converts a JSON `data` array into tensor storage, checking every element's type and range and that the
 * element count equals the shape's product.
 */
export function tensorDataFromJson(
  data: unknown,
  datatype: Datatype,
  shape: readonly number[],
  count: number,
  what: string,
): TensorData {
  if (!Array.isArray(data)) {
    throw new InvalidArgumentError(`${what}: 'data' must be an array (flat or nested), got ${typeof data}`);
  }
  const values = flatten(data, shape.length, what);
  if (values.length !== count) {
    throw new InvalidArgumentError(
      `${what}: shape ${formatShape(shape)} needs ${count} elements but 'data' has ${values.length}`,
    );
  }
  switch (datatype) {
    case 'FP32':
    case 'FP64':
      return fillFloats(values, datatype, what);
    case 'FP16':
      return fillFloats(values, datatype, what, toFloat16Bits);
    case 'BF16':
      return fillFloats(values, datatype, what, toBFloat16Bits);
    case 'INT64':
    case 'UINT64':
      return fillBigIntegers(values, datatype, what);
    case 'BOOL':
      return fillBools(values, what);
    case 'BYTES':
      return fillStrings(values, what);
    default:
      return fillIntegers(values, datatype, what);
  }
}

/** Converts tensor storage to a flat JSON-serialisable array. */
export function tensorDataToJson(data: TensorData, datatype: Datatype): unknown[] {
  switch (datatype) {
    case 'BYTES':
      return data as string[];
    case 'BOOL':
      return Array.from(data as Uint8Array, (v) => v !== 0);
    case 'FP16':
      return Array.from(data as Uint16Array, fromFloat16Bits);
    case 'BF16':
      return Array.from(data as Uint16Array, fromBFloat16Bits);
    case 'INT64':
    case 'UINT64':
      return Array.from(data as BigInt64Array, (v) => Number(v));
    default:
      return Array.from(data as Float32Array);
  }
}

/**
 * Writes tensor storage as JSON array text directly: exact digits for 64-bit integers (which JSON numbers carry
 * but JS numbers cannot), and no intermediate arrays for the common numeric types.
 */
export function tensorDataToJsonText(data: TensorData, datatype: Datatype): string {
  switch (datatype) {
    case 'INT64':
    case 'UINT64':
    case 'INT8':
    case 'INT16':
    case 'INT32':
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return `[${(data as Int32Array).join(',')}]`;
    case 'FP32':
    case 'FP64': {
      const values = data as Float32Array;
      // join() would write NaN and Infinity, which JSON lacks; JSON.stringify writes them as null.
      for (let i = 0; i < values.length; i++)
        if (!Number.isFinite(values[i])) return JSON.stringify(Array.from(values));
      return `[${values.join(',')}]`;
    }
    default:
      return JSON.stringify(tensorDataToJson(data, datatype));
  }
}
