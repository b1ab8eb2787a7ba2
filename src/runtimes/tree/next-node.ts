import { MAX_CATEGORY } from './parse-xgboost-tree.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * True when category value `x` is in the node's bitset (so it goes right). Negative values
 * and values >= 2^24 are invalid categories and, like absent ones, are not in the set.
 * Non-integer values truncate towards zero, as XGBoost's float-to-int cast does.
 */
function inCategorySet(e: TreeEnsemble, node: number, x: number): boolean {
  if (x < 0 || x >= MAX_CATEGORY) return false;
  const c = x | 0;
  const word = c >>> 5;
  return word < e.catWords[node] && (e.catBits[e.catStart[node] + word] & (1 << (c & 31))) !== 0;
}

/**
 * The child of internal node `node` that feature value `x` (a float32 value) follows:
 * the default child for NaN, `x < threshold` → left for numeric splits, and for
 * categorical splits right iff `x` is in the node's category set.
 */
export function nextNode(e: TreeEnsemble, node: number, x: number): number {
  if (x !== x) return e.defaultChild[node]; // NaN: missing value
  if (e.catStart[node] < 0) return x < e.threshold[node] ? e.left[node] : e.right[node];
  return inCategorySet(e, node, x) ? e.right[node] : e.left[node];
}
