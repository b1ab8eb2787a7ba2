/**
 * The few pieces of the protobuf wire format that Feast's Redis values need: varints (int32/int64/bool),
 * fixed 32/64-bit fields (float/double) and length-delimited fields (string/bytes/sub-messages).
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** One field as read: `varint` for wire type 0; `data` holds the raw bytes of the others. */
export interface ProtoField {
  readonly field: number;
  readonly wire: number;
  readonly varint: bigint;
  readonly data: Uint8Array;
}

/** Builds a message field by field. */
export class ProtoWriter {
  private readonly bytes: number[] = [];

  /** An int32/int64/bool/enum field (negative values take ten bytes, as protobuf's two's complement varint). */
  varint(field: number, value: bigint | number | boolean): this {
    this.key(field, WIRE_VARINT);
    this.rawVarint(BigInt.asUintN(64, BigInt(typeof value === 'boolean' ? Number(value) : value)));
    return this;
  }

  float(field: number, value: number): this {
    return this.fixed(field, WIRE_I32, 4, (v) => v.setFloat32(0, value, true));
  }

  double(field: number, value: number): this {
    return this.fixed(field, WIRE_I64, 8, (v) => v.setFloat64(0, value, true));
  }

  bytesField(field: number, data: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.rawVarint(BigInt(data.length));
    for (const b of data) this.bytes.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private key(field: number, wire: number): void {
    this.rawVarint(BigInt((field << 3) | wire));
  }

  private fixed(field: number, wire: number, size: number, set: (v: DataView) => void): this {
    this.key(field, wire);
    const buf = new Uint8Array(size);
    set(new DataView(buf.buffer));
    for (const b of buf) this.bytes.push(b);
    return this;
  }

  private rawVarint(v: bigint): void {
    while (v > 0x7fn) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }
}

function readVarint(buf: Uint8Array, at: number): [bigint, number] {
  let result = 0n;
  for (let shift = 0n; at < buf.length && shift < 70n; shift += 7n) {
    const b = buf[at++];
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [result, at];
  }
  throw new Error('truncated or over-long varint');
}

/** Reads every top-level field of a message. Throws on truncated or unknown wire types. */
export function readProtoFields(buf: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  while (at < buf.length) {
    const [key, next] = readVarint(buf, at);
    at = next;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    let varint = 0n;
    let size = 0;
    if (wire === WIRE_VARINT) [varint, at] = readVarint(buf, at);
    else if (wire === WIRE_I64) size = 8;
    else if (wire === WIRE_I32) size = 4;
    else if (wire === WIRE_LEN) {
      const [len, after] = readVarint(buf, at);
      [size, at] = [Number(len), after];
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    if (at + size > buf.length) throw new Error('truncated protobuf field');
    fields.push({ field, wire, varint, data: buf.subarray(at, at + size) });
    at += size;
  }
  return fields;
}
