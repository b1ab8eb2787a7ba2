import { checkInputShape } from './check-input-shape.js';
import { ShapWorkspace } from './shap-workspace.js';
import { treeShap } from './tree-shap.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/** Adds every tree of group `g` into `out[o .. o + cols]`, then the base margin. */
function explainGroup(e: TreeEnsemble, p: ShapWorkspace, g: number, out: Float32Array, o: number): void {
  const phi = p.phi;
  const width = phi.length;
  for (let t = 0; t < e.numTrees; t++) {
    if (e.treeGroup[t] !== g) continue;
    treeShap(e, p, e.treeStart[t]);
    const w = e.treeWeight === null ? 1 : e.treeWeight[t];
    for (let c = 0; c < width; c++) out[o + c] += Math.fround(phi[c] * w);
  }
  out[o + width - 1] += e.baseMargin[g];
}

/**
 * Exact TreeSHAP feature contributions, as XGBoost's `predict(pred_contribs=True)`:
 * for each row and output group, `cols` feature contributions followed by the bias
 * (expected tree-ensemble output under the cover-weighted distribution plus base margin).
 * Each row's contributions sum to its margin (up to float32 rounding).
 * @returns Float32Array `[rows, cols + 1]`, or `[rows, numGroups, cols + 1]` for multi-output.
 */
export function predictContributions(
  e: TreeEnsemble,
  features: Float32Array,
  rows: number,
  cols: number,
): Float32Array {
  checkInputShape(e, features, rows, cols);
  const width = cols + 1;
  const out = new Float32Array(rows * e.numGroups * width);
  const p = new ShapWorkspace(e.maxDepth, cols);
  p.features = features;
  for (let r = 0; r < rows; r++) {
    p.offset = r * cols;
    for (let g = 0; g < e.numGroups; g++) explainGroup(e, p, g, out, (r * e.numGroups + g) * width);
  }
  return out;
}
