import { checkInputShape } from './check-input-shape.js';
import { findLeaf } from './find-leaf.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/** One output group, unit tree weights: accumulate in a float32-rounded local. */
function marginSingleGroup(e: TreeEnsemble, features: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const { treeStart, leafValue, numTrees } = e;
  const base = e.baseMargin[0];
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    let acc = base;
    for (let t = 0; t < numTrees; t++) {
      acc = Math.fround(acc + leafValue[findLeaf(e, treeStart[t], features, offset)]);
    }
    out[r] = acc;
  }
}

/** General case: several groups and/or DART tree weights. */
function marginGrouped(e: TreeEnsemble, features: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const { treeStart, treeGroup, treeWeight, leafValue, numTrees, numGroups } = e;
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    const o = r * numGroups;
    out.set(e.baseMargin, o);
    for (let t = 0; t < numTrees; t++) {
      const leaf = leafValue[findLeaf(e, treeStart[t], features, offset)];
      // Float32Array stores round each sum to float32, like XGBoost's float accumulator.
      out[o + treeGroup[t]] += treeWeight === null ? leaf : Math.fround(leaf * treeWeight[t]);
    }
  }
}

/**
 * Raw margins (sum of leaf values plus base margin) for a row-major float32 batch,
 * accumulated in float32 in tree order exactly like XGBoost's CPU predictor.
 * @param features `rows * cols` values, NaN = missing; `cols` must equal the model's features.
 * @returns Float32Array of `rows * numGroups` margins (row-major `[rows, numGroups]`).
 */
export function predictMargin(e: TreeEnsemble, features: Float32Array, rows: number, cols: number): Float32Array {
  checkInputShape(e, features, rows, cols);
  const out = new Float32Array(rows * e.numGroups);
  if (e.numGroups === 1 && e.treeWeight === null) marginSingleGroup(e, features, rows, cols, out);
  else marginGrouped(e, features, rows, cols, out);
  return out;
}
