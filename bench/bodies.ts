/** Real request bodies: the 32 reference rows of the digits fixture, one V2 infer request (batch 1) each. */
import { readFileSync, writeFileSync } from 'node:fs';
import { DIGITS_REFERENCE } from './paths.js';

export function referenceRows(): number[][] {
  const ref = JSON.parse(readFileSync(DIGITS_REFERENCE, 'utf8')) as { inputs: number[][] };
  if (!Array.isArray(ref.inputs) || ref.inputs.length === 0 || ref.inputs[0].length !== 64) {
    throw new Error(`${DIGITS_REFERENCE}: expected 'inputs' to hold rows of 64 numbers`);
  }
  return ref.inputs;
}

/** Reference labels, to check that servers answer correctly before they are measured. */
export function referenceLabels(): number[] {
  return (JSON.parse(readFileSync(DIGITS_REFERENCE, 'utf8')) as { labels: number[] }).labels;
}

export function inferBody(row: readonly number[]): string {
  return JSON.stringify({ inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: row }] });
}

/** Writes one body per line (the format post-cycle.lua reads) and returns them. */
export function writeBodiesFile(path: string): string[] {
  const bodies = referenceRows().map(inferBody);
  writeFileSync(path, `${bodies.join('\n')}\n`);
  return bodies;
}

/** One row as little-endian float32 bytes (what binary HTTP and gRPC raw_input_contents carry). */
export function rowBytes(row: readonly number[]): Buffer {
  const buf = Buffer.alloc(row.length * 4);
  row.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf;
}

/**
 * The JSON header of a binary-extension request for one row of 64 FP32 (256 bytes of binary data), asking for
 * binary outputs. Every row has the same header.
 */
export const BINARY_HEADER = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], parameters: { binary_data_size: 256 } }],
  parameters: { binary_data_output: true },
});

export interface BinaryBody {
  /** JSON header followed by the raw tensor bytes. */
  readonly body: Buffer;
  /** Inference-Header-Content-Length. */
  readonly headerLength: number;
}

export function binaryInferBody(row: readonly number[]): BinaryBody {
  const head = Buffer.from(BINARY_HEADER, 'utf8');
  return { body: Buffer.concat([head, rowBytes(row)]), headerLength: head.length };
}

/**
 * Writes the binary bodies for post-binary-cycle.lua: per body one text line "HEADER_LENGTH BODY_LENGTH", then
 * BODY_LENGTH raw bytes. Returns the bodies.
 */
export function writeBinaryBodiesFile(path: string): BinaryBody[] {
  const bodies = referenceRows().map(binaryInferBody);
  writeFileSync(path, Buffer.concat(bodies.flatMap((b) => [Buffer.from(`${b.headerLength} ${b.body.length}\n`, 'latin1'), b.body])));
  return bodies;
}
