/**
 * Raw little-endian tensor bytes (Triton's binary tensor extension, gRPC raw contents) ⇄ tensor storage.
 * BYTES elements are each prefixed by their length as a 4-byte little-endian integer.
 */
import { InvalidArgumentError } from '../errors/index.js';
import { allocate, byteSize, type Datatype, type NumericArray, type TensorData } from './datatype.js';

/** Copies raw bytes into fresh, aligned storage (views into a request body cannot be moved to a worker). */
export function tensorDataFromRaw(bytes: Uint8Array, datatype: Datatype, count: number, what: string): TensorData {
  if (datatype === 'BYTES') return stringsFromRaw(bytes, count, what);
  const size = byteSize(datatype)!;
  if (bytes.byteLength !== size * count) {
    throw new InvalidArgumentError(`${what}: ${count} ${datatype} elements need ${size * count} bytes of binary data, got ${bytes.byteLength}`);
  }
  const out = allocate(datatype, count);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  if (datatype === 'BOOL') for (let i = 0; i < count; i++) out[i] = out[i] ? 1 : 0;
  return out;
}

function stringsFromRaw(bytes: Uint8Array, count: number, what: string): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.byteLength) throw new InvalidArgumentError(`${what}: binary BYTES data ends before element ${i}'s length prefix`);
    const length = view.getUint32(at, true);
    at += 4;
    if (at + length > bytes.byteLength) throw new InvalidArgumentError(`${what}: BYTES element ${i} claims ${length} bytes but only ${bytes.byteLength - at} remain`);
    out.push(decoder.decode(bytes.subarray(at, at + length)));
    at += length;
  }
  if (at !== bytes.byteLength) throw new InvalidArgumentError(`${what}: ${bytes.byteLength - at} bytes of binary data are left after ${count} BYTES elements`);
  return out;
}

/** The raw little-endian bytes of tensor storage (a view, not a copy, for numeric types). */
export function tensorDataToRaw(data: TensorData, datatype: Datatype): Uint8Array {
  if (datatype !== 'BYTES') {
    const d = data as NumericArray;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  const encoded = (data as string[]).map((s) => Buffer.from(s, 'utf8'));
  const out = Buffer.allocUnsafe(encoded.reduce((n, b) => n + 4 + b.length, 0));
  let at = 0;
  for (const b of encoded) {
    out.writeUInt32LE(b.length, at);
    b.copy(out, at + 4);
    at += 4 + b.length;
  }
  return out;
}
