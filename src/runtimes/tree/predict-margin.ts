import { checkInputShape } from './check-input-shape.js';
import { findLeaf } from './find-leaf.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * Hot path: one output group, unit tree weights, numeric splits only. The tree walk is
 * inlined over local typed arrays; the sum is kept float32-rounded in a local.
 */
function marginNumeric(e: TreeEnsemble, features: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const { treeStart, leafValue, numTrees, left, right, splitFeature, threshold, defaultChild } = e;
  const base = e.baseMargin[0];
  for (let r = 0; r < rows; r++) {
    const offset = r * cols;
    let acc = base;
    for (let t = 0; t < numTrees; t++) {
      let n = treeStart[t];
      let l: number;
      while ((l = left[n]) !== -1) {
        const x = features[offset + splitFeature[n]];
        n = x !== x ? defaultChild[n] : x < threshold[n] ? l : right[n];
      }
      acc = Math.fround(acc + leafValue[n]);
    }
    out[r] = acc;
  }
}

/** General case: several groups, DART tree weights and/or categorical splits. */
function marginGeneral(e: TreeEnsemble, features: Float32Array, rows: number, cols: number, out: Float32Array): void {
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
  if (e.numGroups === 1 && e.treeWeight === null && e.catBits.length === 0) marginNumeric(e, features, rows, cols, out);
  else marginGeneral(e, features, rows, cols, out);
  return out;
}
