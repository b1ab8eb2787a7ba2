import { nextNode } from './next-node.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * Walks from node `root` to a leaf for the row starting at `features[offset]` and returns
 * the leaf's node index.
 */
export function findLeaf(e: TreeEnsemble, root: number, features: Float32Array, offset: number): number {
  const left = e.left;
  const splitFeature = e.splitFeature;
  let n = root;
  while (left[n] !== -1) n = nextNode(e, n, features[offset + splitFeature[n]]);
  return n;
}
