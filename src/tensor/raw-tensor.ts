/**
 * Raw tensor bytes ⇄ tensor storage, shared by Triton's binary tensor extension over HTTP and gRPC's
 * `raw_input_contents` / `raw_output_contents`. Elements are little-endian without padding; a BYTES element is its
 * length (4 bytes, little-endian) followed by its bytes. Decoding copies into fresh, aligned storage: the core
 * transfers input buffers to worker threads, and a request's bytes are a view into a larger buffer.
 */
import { endianness } from 'node:os';
import { InvalidArgumentError } from '../errors/index.js';
import { allocate, byteSize, type Datatype, type NumericArray, type TensorData } from './datatype.js';
import { formatShape } from './shape.js';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Where the bytes came from, for messages: e.g. 'binary data' (HTTP) or 'raw_input_contents' (gRPC). */
export interface RawSource {
  readonly what: string;
  readonly source: string;
}

/** Reverses the byte order of every `size`-byte element in place (only on big-endian hosts). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let at = 0; at < bytes.length; at += size) bytes.subarray(at, at + size).reverse();
}

function decodeNumeric(
  raw: Uint8Array,
  datatype: Exclude<Datatype, 'BYTES'>,
  shape: readonly number[],
  count: number,
  { what, source }: RawSource,
): NumericArray {
  const size = byteSize(datatype)!;
  const expected = count * size;
  if (raw.byteLength !== expected) {
    throw new InvalidArgumentError(
      `${what}: ${source} holds ${raw.byteLength} bytes, but ${datatype} shape ${formatShape(shape)} needs ${expected} (${count} elements of ${size} bytes)`,
    );
  }
  const out = allocate(datatype, count);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  bytes.set(raw);
  if (!LITTLE_ENDIAN_HOST) swapBytes(bytes, size);
  if (datatype === 'BOOL') {
    const bad = bytes.findIndex((b) => b > 1);
    if (bad >= 0)
      throw new InvalidArgumentError(
        `${what}: BOOL element ${bad} is the byte ${bytes[bad]}; BOOL elements are 0 or 1`,
      );
  }
  return out;
}

function decodeStrings(
  raw: Uint8Array,
  shape: readonly number[],
  count: number,
  { what, source }: RawSource,
): string[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: string[] = [];
  let at = 0;
  while (at < raw.byteLength) {
    if (at + 4 > raw.byteLength)
      throw new InvalidArgumentError(
        `${what}: raw BYTES contents end inside the 4-byte length of element ${out.length}`,
      );
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > raw.byteLength) {
      throw new InvalidArgumentError(
        `${what}: raw BYTES element ${out.length} declares ${length} bytes, but only ${raw.byteLength - at} remain`,
      );
    }
    out.push(Buffer.from(raw.buffer, raw.byteOffset + at, length).toString('utf8'));
    at += length;
  }
  if (out.length !== count) {
    throw new InvalidArgumentError(
      `${what}: ${source} holds ${out.length} BYTES elements, but shape ${formatShape(shape)} needs ${count}`,
    );
  }
  return out;
}

/** Decodes raw bytes for a tensor of `datatype` and `shape` (`count` elements), checking their length. */
export function tensorDataFromRaw(
  raw: Uint8Array,
  datatype: Datatype,
  shape: readonly number[],
  count: number,
  from: RawSource,
): TensorData {
  return datatype === 'BYTES'
    ? decodeStrings(raw, shape, count, from)
    : decodeNumeric(raw, datatype, shape, count, from);
}

function encodeStrings(values: readonly string[]): Buffer {
  const parts = values.map((s) => Buffer.from(s, 'utf8'));
  const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + 4 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.writeUInt32LE(p.length, at);
    p.copy(out, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/** Encodes tensor data as raw little-endian bytes. Numeric data is a view, not a copy, on little-endian hosts. */
export function tensorDataToRaw(data: TensorData): Buffer {
  if (Array.isArray(data)) return encodeStrings(data);
  const numeric = data as NumericArray;
  const view = Buffer.from(numeric.buffer, numeric.byteOffset, numeric.byteLength);
  if (LITTLE_ENDIAN_HOST) return view;
  const copy = Buffer.from(view);
  swapBytes(copy, numeric.BYTES_PER_ELEMENT);
  return copy;
}
