import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * Validates a row-major batch: `rows` non-negative integer, `cols` equal to the model's
 * feature count and `features.length === rows * cols`.
 * @throws RangeError describing the mismatch.
 */
export function checkInputShape(e: TreeEnsemble, features: Float32Array, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${rows}`);
  if (cols !== e.numFeatures) throw new RangeError(`model expects ${e.numFeatures} feature columns, got ${cols}`);
  if (features.length !== rows * cols) {
    throw new RangeError(`features has ${features.length} values, expected rows * cols = ${rows * cols}`);
  }
}
