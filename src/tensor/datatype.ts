/**
 * The Open Inference Protocol's tensor datatypes and their in-memory representations.
 */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BF16',
  'BYTES',
] as const;

export type Datatype = (typeof DATATYPES)[number];

export type NumericArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

/** Element storage: typed arrays for numbers (FP16/BF16 as bit patterns in Uint16Array, BOOL as 0/1 bytes); strings for BYTES. */
export type TensorData = NumericArray | string[];

type TypedArrayConstructor = { new (length: number): NumericArray; BYTES_PER_ELEMENT: number };

const STORAGE: Record<Exclude<Datatype, 'BYTES'>, TypedArrayConstructor> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BF16: Uint16Array,
};

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && (DATATYPES as readonly string[]).includes(value);
}

/** Allocates zeroed storage for `length` elements of a numeric datatype. */
export function allocate(datatype: Exclude<Datatype, 'BYTES'>, length: number): NumericArray {
  return new STORAGE[datatype](length);
}

/** Bytes per element, or undefined for BYTES (variable length). */
export function byteSize(datatype: Datatype): number | undefined {
  return datatype === 'BYTES' ? undefined : STORAGE[datatype].BYTES_PER_ELEMENT;
}

export function isBigIntType(datatype: Datatype): datatype is 'INT64' | 'UINT64' {
  return datatype === 'INT64' || datatype === 'UINT64';
}

/** Inclusive integer ranges of the integer datatypes that fit in a JS number. */
export const INTEGER_RANGES: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
};
