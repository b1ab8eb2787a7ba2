/**
 * Feast's `feast.types.Value` protobuf (a oneof) for the scalar members inferd reads and writes, and
 * `google.protobuf.Timestamp` for the `_ts:<view>` field. Field numbers from feast/protos/feast/types/Value.proto.
 */
import type { FeatureType } from '../../config/index.js';
import type { FeatureValue } from '../types.js';
import { ProtoWriter, readProtoFields, type ProtoField } from './protobuf-wire.js';

const BYTES_VAL = 1;
const STRING_VAL = 2;
const INT32_VAL = 3;
const INT64_VAL = 4;
const DOUBLE_VAL = 5;
const FLOAT_VAL = 6;
const BOOL_VAL = 7;
const UNIX_TIMESTAMP_VAL = 8;
const NULL_VAL = 19;

/** Raw value of a Value message: a number, boolean or string, null when unset, or a description of what it is. */
export type DecodedValue = number | boolean | string | null | { readonly unsupported: string };

function scalar(f: ProtoField): DecodedValue {
  const view = new DataView(f.data.buffer, f.data.byteOffset, f.data.byteLength);
  switch (f.field) {
    case STRING_VAL:
      return new TextDecoder().decode(f.data);
    case INT32_VAL:
      return Number(BigInt.asIntN(32, f.varint));
    case INT64_VAL:
    case UNIX_TIMESTAMP_VAL:
      return Number(BigInt.asIntN(64, f.varint));
    case DOUBLE_VAL:
      return view.getFloat64(0, true);
    case FLOAT_VAL:
      return view.getFloat32(0, true);
    case BOOL_VAL:
      return f.varint !== 0n;
    case NULL_VAL:
      return null;
    case BYTES_VAL:
      return { unsupported: 'bytes_val' };
    default:
      return { unsupported: `Value field ${f.field} (a list or an unknown member)` };
  }
}

/** Decodes a serialized Value; empty bytes (no member set) are null, as Feast writes missing values. */
export function decodeFeastValue(bytes: Uint8Array): DecodedValue {
  const fields = readProtoFields(bytes);
  return fields.length ? scalar(fields[fields.length - 1]) : null; // the last member set wins in a oneof
}

/** Encodes a value as the Value member Feast uses for the feature type; null is an empty Value. */
export function encodeFeastValue(type: FeatureType, value: FeatureValue): Uint8Array {
  const w = new ProtoWriter();
  if (value === null || Number.isNaN(value)) return w.finish();
  if (type === 'FP32') return w.float(FLOAT_VAL, value).finish();
  if (type === 'FP64') return w.double(DOUBLE_VAL, value).finish();
  if (type === 'INT32') return w.varint(INT32_VAL, value).finish();
  if (type === 'INT64') return w.varint(INT64_VAL, BigInt(value)).finish();
  return w.varint(BOOL_VAL, value !== 0).finish();
}

/** Decodes a google.protobuf.Timestamp into ms since the epoch. */
export function decodeTimestampMs(bytes: Uint8Array): number {
  let seconds = 0n;
  let nanos = 0n;
  for (const f of readProtoFields(bytes)) {
    if (f.field === 1) seconds = BigInt.asIntN(64, f.varint);
    if (f.field === 2) nanos = BigInt.asIntN(32, f.varint);
  }
  return Number(seconds) * 1000 + Math.floor(Number(nanos) / 1e6);
}

/** Encodes whole seconds as a Timestamp, as Feast writes it (nanos left at zero, hence omitted). */
export function encodeTimestampSeconds(seconds: number): Uint8Array {
  const w = new ProtoWriter();
  return seconds === 0 ? w.finish() : w.varint(1, BigInt(seconds)).finish();
}
