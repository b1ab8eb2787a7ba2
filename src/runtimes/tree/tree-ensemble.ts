import type { Objective } from './objective.js';
import type { TreeModelMetadata } from './tree-model-metadata.js';

/**
 * A tree ensemble flattened into typed arrays (structure of arrays).
 *
 * Node layout: all trees' nodes live in one index space. Tree `t` occupies nodes
 * `treeStart[t] .. treeStart[t + 1] - 1`, renumbered in depth-first pre-order from its
 * root (so the root is `treeStart[t]` and every child index is greater than its parent's;
 * nodes unreachable from the root, e.g. pruned ones, are dropped). Per node:
 *  - `left[n]` / `right[n]`: absolute child indices, `-1` for leaves;
 *  - `defaultChild[n]`: child taken when the split feature is missing (NaN);
 *  - `splitFeature[n]`: feature column; numeric split goes left iff `x < threshold[n]`
 *    with both operands float32;
 *  - `catStart[n]`: `-1` for numeric splits, otherwise the first word in `catBits` of the
 *    node's category bitset (`catWords[n]` 32-bit words, bit `c` = category `c`). A category
 *    in the set goes right; anything else (absent, negative, >= 2^24) goes left;
 *  - `leafValue[n]`: leaf output (float32), 0 for internal nodes;
 *  - `cover[n]`: XGBoost's `sum_hessian`, the node cover used by TreeSHAP;
 *  - `meanValue[n]`: cover-weighted mean leaf value of the subtree (float32, TreeSHAP).
 */
export interface TreeEnsemble {
  readonly metadata: TreeModelMetadata;
  readonly objective: Objective;
  /** Input columns expected. */
  readonly numFeatures: number;
  /** Margins per row (classes for multi:* objectives). */
  readonly numGroups: number;
  readonly numTrees: number;
  /** Float32 base margin per group (base_score after the objective's link). */
  readonly baseMargin: Float32Array;
  /** `numTrees + 1` node offsets; tree t's root is `treeStart[t]`. */
  readonly treeStart: Int32Array;
  /** Output group (class) of each tree. */
  readonly treeGroup: Int32Array;
  /** Per-tree output weight (DART's weight_drop), or null when all weights are 1. */
  readonly treeWeight: Float32Array | null;
  /** Maximum depth (edges from root to deepest leaf) over all trees. */
  readonly maxDepth: number;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly defaultChild: Int32Array;
  readonly splitFeature: Int32Array;
  readonly threshold: Float32Array;
  readonly catStart: Int32Array;
  readonly catWords: Int32Array;
  readonly catBits: Uint32Array;
  readonly leafValue: Float32Array;
  readonly cover: Float32Array;
  readonly meanValue: Float32Array;
}
