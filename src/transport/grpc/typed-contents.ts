/**
 * Typed tensor contents (`InferInputTensor.contents`: bool_contents, int_contents, ...) → tensor storage.
 * Each datatype has exactly one field; FP16 and BF16 have none and travel only as raw contents.
 */
import { InvalidArgumentError } from '../../errors/index.js';
import { allocate, formatShape, INTEGER_RANGES, type Datatype, type TensorData } from '../../tensor/index.js';
import type { InferTensorContents } from './messages.js';

type ContentsField = keyof InferTensorContents;

const FIELD: Record<Datatype, ContentsField | undefined> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP16: undefined,
  BF16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

const FIELDS: readonly ContentsField[] = [
  'bool_contents',
  'int_contents',
  'int64_contents',
  'uint_contents',
  'uint64_contents',
  'fp32_contents',
  'fp64_contents',
  'bytes_contents',
];

/** The non-empty fields of a contents message. */
function filledFields(contents: InferTensorContents): ContentsField[] {
  return FIELDS.filter((f) => (contents[f]?.length ?? 0) > 0);
}

/** True when a contents message carries any element. */
export function hasTypedContents(contents: InferTensorContents | null): contents is InferTensorContents {
  return contents !== null && filledFields(contents).length > 0;
}

/** Picks the field for `datatype`, refusing FP16/BF16 and elements placed in another datatype's field. */
function fieldFor(contents: InferTensorContents, datatype: Datatype, what: string): ContentsField {
  const field = FIELD[datatype];
  if (!field)
    throw new InvalidArgumentError(
      `${what}: ${datatype} has no typed contents field; send its elements in raw_input_contents`,
    );
  const stray = filledFields(contents).filter((f) => f !== field);
  if (stray.length) {
    throw new InvalidArgumentError(
      `${what} is ${datatype}, so its elements go in contents.${field}, but the request filled contents.${stray.join(', contents.')}`,
    );
  }
  return field;
}

function integers(values: readonly number[], datatype: Datatype, what: string): TensorData {
  const [min, max] = INTEGER_RANGES[datatype]!;
  const out = allocate(datatype as 'INT32', values.length) as Int32Array; // any of the 8-, 16- and 32-bit integer arrays
  values.forEach((v, i) => {
    if (v < min || v > max)
      throw new InvalidArgumentError(`${what}: element ${i} is ${v}, outside the ${datatype} range [${min}, ${max}]`);
    out[i] = v;
  });
  return out;
}

function convert(values: InferTensorContents[ContentsField], datatype: Datatype, what: string): TensorData {
  switch (datatype) {
    case 'BOOL':
      return Uint8Array.from(values as readonly boolean[], (b) => (b ? 1 : 0));
    case 'INT64':
      return BigInt64Array.from(values as readonly string[], (s) => BigInt(s));
    case 'UINT64':
      return BigUint64Array.from(values as readonly string[], (s) => BigInt(s));
    case 'FP32':
      return Float32Array.from(values as readonly number[]);
    case 'FP64':
      return Float64Array.from(values as readonly number[]);
    case 'BYTES':
      return (values as readonly Buffer[]).map((b) => b.toString('utf8'));
    default:
      return integers(values as readonly number[], datatype, what);
  }
}

/**
 * Decodes an input's typed contents for a tensor of `datatype` and `shape` (`count` elements), checking the
 * field and the element count. `what` names the tensor in messages.
 */
export function tensorDataFromContents(
  contents: InferTensorContents,
  datatype: Datatype,
  shape: readonly number[],
  count: number,
  what: string,
): TensorData {
  const field = fieldFor(contents, datatype, what);
  const values = contents[field];
  if (values.length !== count) {
    throw new InvalidArgumentError(
      `${what}: shape ${formatShape(shape)} needs ${count} elements but contents.${field} has ${values.length}`,
    );
  }
  return convert(values, datatype, what);
}
