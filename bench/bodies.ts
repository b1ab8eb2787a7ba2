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
