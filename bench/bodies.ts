/**
 * Real request bodies: the 32 reference rows of the digits fixture, one V2 infer request each, of one row (batch
 * 1) or of several rows (a caller scoring many candidates at once, as a ranking service does).
 */
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
  return inferBodyRows([row]);
}

/** One request carrying `rows` as a [rows.length, 64] tensor (nested data, one array per row). */
export function inferBodyRows(rows: readonly (readonly number[])[]): string {
  return JSON.stringify({
    inputs: [{ name: 'input', shape: [rows.length, 64], datatype: 'FP32', data: rows.length === 1 ? rows[0] : rows }],
  });
}

/**
 * The rows of each request when every request carries `rowsPerRequest` rows: 32 requests, the i-th starting at
 * reference row i and wrapping around.
 */
export function requestRows(rowsPerRequest = 1): number[][][] {
  const rows = referenceRows();
  return rows.map((_, i) => Array.from({ length: rowsPerRequest }, (_, k) => rows[(i + k) % rows.length]));
}

/** Writes one body per line (the format post-cycle.lua reads) and returns them. */
export function writeBodiesFile(path: string, rowsPerRequest = 1): string[] {
  const bodies = requestRows(rowsPerRequest).map(inferBodyRows);
  writeFileSync(path, `${bodies.join('\n')}\n`);
  return bodies;
}

/** One row as little-endian float32 bytes (what binary HTTP and gRPC raw_input_contents carry). */
export function rowBytes(row: readonly number[]): Buffer {
  return rowsBytes([row]);
}

/** Rows one after another as little-endian float32 bytes. */
export function rowsBytes(rows: readonly (readonly number[])[]): Buffer {
  const width = rows[0]?.length ?? 0;
  const buf = Buffer.alloc(rows.length * width * 4);
  rows.forEach((row, r) => row.forEach((v, i) => buf.writeFloatLE(v, (r * width + i) * 4)));
  return buf;
}

/**
 * The JSON header of a binary-extension request for one row of 64 FP32 (256 bytes of binary data), asking for
 * binary outputs. Every row has the same header.
 */
export const BINARY_HEADER = binaryHeader(1);

/** The JSON header for `rows` rows of 64 FP32 in binary, asking for binary outputs. */
export function binaryHeader(rows: number): string {
  return JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64], parameters: { binary_data_size: rows * 256 } }],
    parameters: { binary_data_output: true },
  });
}

export interface BinaryBody {
  /** JSON header followed by the raw tensor bytes. */
  readonly body: Buffer;
  /** Inference-Header-Content-Length. */
  readonly headerLength: number;
}

export function binaryInferBody(row: readonly number[]): BinaryBody {
  return binaryInferBodyRows([row]);
}

export function binaryInferBodyRows(rows: readonly (readonly number[])[]): BinaryBody {
  const head = Buffer.from(binaryHeader(rows.length), 'utf8');
  return { body: Buffer.concat([head, rowsBytes(rows)]), headerLength: head.length };
}

/**
 * Writes the binary bodies for post-binary-cycle.lua: per body one text line "HEADER_LENGTH BODY_LENGTH", then
 * BODY_LENGTH raw bytes. Returns the bodies.
 */
export function writeBinaryBodiesFile(path: string, rowsPerRequest = 1): BinaryBody[] {
  const bodies = requestRows(rowsPerRequest).map(binaryInferBodyRows);
  writeFileSync(
    path,
    Buffer.concat(bodies.flatMap((b) => [Buffer.from(`${b.headerLength} ${b.body.length}\n`, 'latin1'), b.body])),
  );
  return bodies;
}
