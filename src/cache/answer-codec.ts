/**
 * A cached answer's outputs as one buffer, for the shared tier: a 4-byte header length, a JSON header (each
 * output's name, datatype, shape and byte length), then each output's raw little-endian bytes.
 */
import { elementCount, tensorDataFromRaw, tensorDataToRaw, type Tensor } from '../tensor/index.js';

interface Header {
  readonly name: string;
  readonly datatype: Tensor['datatype'];
  readonly shape: readonly number[];
  readonly bytes: number;
}

const SOURCE = { what: 'cached answer', source: 'the shared response cache' };

export function encodeAnswer(outputs: readonly Tensor[]): Buffer {
  const raws = outputs.map((t) => tensorDataToRaw(t.data));
  const header: Header[] = outputs.map((t, i) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape,
    bytes: raws[i].length,
  }));
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32LE(json.length);
  return Buffer.concat([length, json, ...raws]);
}

/** The outputs back; throws on a buffer this codec did not write (the caller counts it as a miss). */
export function decodeAnswer(buffer: Buffer): Tensor[] {
  const jsonLength = buffer.readUInt32LE(0);
  const header = JSON.parse(buffer.subarray(4, 4 + jsonLength).toString()) as Header[];
  let at = 4 + jsonLength;
  return header.map((h) => {
    const raw = buffer.subarray(at, at + h.bytes);
    at += h.bytes;
    const data = tensorDataFromRaw(raw, h.datatype, h.shape, elementCount(h.shape), SOURCE);
    return { name: h.name, datatype: h.datatype, shape: h.shape, data };
  });
}
