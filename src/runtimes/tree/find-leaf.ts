import { nextNode } from './next-node.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * Walks from node `root` to a leaf for the row starting at `features[offset]` and returns
 * the leaf's node index. Handles numeric, categorical and missing values.
 */
export function findLeaf(e: TreeEnsemble, root: number, features: Float32Array, offset: number): number {
  const { left, right, splitFeature, threshold, defaultChild, catStart } = e;
  let n = root;
  let l: number;
  while ((l = left[n]) !== -1) {
    const x = features[offset + splitFeature[n]];
    if (x !== x)
      n = defaultChild[n]; // NaN: missing
    else if (catStart[n] < 0) n = x < threshold[n] ? l : right[n];
    else n = nextNode(e, n, x);
  }
  return n;
}
