/**
 * Triton's binary tensor extension over HTTP: a request body is a JSON header of
 * `Inference-Header-Content-Length` bytes followed by raw tensor bytes; a response may be the same.
 */
import { InvalidArgumentError } from '../../errors/index.js';
import type { InferenceResponse } from '../../inference/types.js';
import type { BinaryReader } from '../../protocol/v2-json.js';
import { tensorDataToRaw } from '../../tensor/index.js';

export const HEADER_LENGTH = 'inference-header-content-length';

/** Splits a body at the header length; returns the JSON text and a reader over the binary section. */
export function splitBinaryBody(
  body: Buffer,
  headerValue: string,
): { json: string; reader: BinaryReader; unread(): number } {
  const length = Number(headerValue);
  if (!/^\d+$/.test(headerValue) || length > body.length) {
    throw new InvalidArgumentError(
      `Inference-Header-Content-Length is ${headerValue.slice(0, 20)}, but the body has ${body.length} bytes; it must be the JSON header's length in bytes`,
    );
  }
  let at = length;
  const reader: BinaryReader = {
    take(bytes: number, what: string) {
      if (at + bytes > body.length) {
        throw new InvalidArgumentError(
          `${what}: binary_data_size is ${bytes} but only ${body.length - at} bytes of binary data remain`,
        );
      }
      const slice = body.subarray(at, at + bytes);
      at += bytes;
      return slice;
    },
  };
  return { json: body.subarray(0, length).toString('utf8'), reader, unread: () => body.length - at };
}

/** JSON text followed by the binary outputs' bytes, in output order. */
export function joinBinaryBody(
  json: string,
  response: InferenceResponse,
  binary: ReadonlySet<string>,
): { body: Buffer; headerLength: number } {
  const head = Buffer.from(json, 'utf8');
  const parts = [head, ...response.outputs.filter((t) => binary.has(t.name)).map((t) => tensorDataToRaw(t.data))];
  return { body: Buffer.concat(parts), headerLength: head.length };
}
