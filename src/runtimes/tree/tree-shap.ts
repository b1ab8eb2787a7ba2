import { nextNode } from './next-node.js';
import { extendPath, unwindPath, unwoundPathSum } from './shap-path.js';
import type { ShapWorkspace } from './shap-workspace.js';
import type { TreeEnsemble } from './tree-ensemble.js';

const f = Math.fround;

/** Copies the parent's path (`depth + 1` entries at `from`) to the child's slot `to`. */
function copyPath(p: ShapWorkspace, from: number, to: number, depth: number): void {
  for (let i = 0; i <= depth; i++) {
    p.feature[to + i] = p.feature[from + i];
    p.zero[to + i] = p.zero[from + i];
    p.one[to + i] = p.one[from + i];
    p.weight[to + i] = p.weight[from + i];
  }
}

/** Adds a leaf's contribution to every feature on the path. */
function addLeaf(p: ShapWorkspace, at: number, depth: number, leaf: number): void {
  for (let i = 1; i <= depth; i++) {
    const w = unwoundPathSum(p, at, depth, i);
    const k = at + i;
    p.phi[p.feature[k]] += f(f(w * f(p.one[k] - p.zero[k])) * leaf);
  }
}

/** XGBoost's RegTree::TreeShap recursion (condition = 0) for `node`. */
function recurse(
  e: TreeEnsemble,
  p: ShapWorkspace,
  node: number,
  depth: number,
  parentAt: number,
  parentZero: number,
  parentOne: number,
  parentFeature: number,
): void {
  const at = parentAt + depth + 1;
  copyPath(p, parentAt, at, depth);
  extendPath(p, at, depth, parentZero, parentOne, parentFeature);
  if (e.left[node] === -1) {
    addLeaf(p, at, depth, e.leafValue[node]);
    return;
  }
  const feature = e.splitFeature[node];
  const hot = nextNode(e, node, p.features[p.offset + feature]);
  const cold = hot === e.left[node] ? e.right[node] : e.left[node];
  const cover = e.cover[node];
  let inZero = 1;
  let inOne = 1;
  let index = 0;
  while (index <= depth && p.feature[at + index] !== feature) index++;
  if (index <= depth) {
    // feature already on the path: undo that split and redo it here
    inZero = p.zero[at + index];
    inOne = p.one[at + index];
    unwindPath(p, at, depth, index);
    depth -= 1;
  }
  recurse(e, p, hot, depth + 1, at, f(f(e.cover[hot] / cover) * inZero), inOne, feature);
  recurse(e, p, cold, depth + 1, at, f(f(e.cover[cold] / cover) * inZero), 0, feature);
}

/**
 * Exact TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2) of the tree rooted at `root`
 * for the row at `p.features[p.offset]`: overwrites `p.phi` with the per-feature
 * contributions and, in the last slot, the tree's cover-weighted mean value (its bias).
 */
export function treeShap(e: TreeEnsemble, p: ShapWorkspace, root: number): void {
  p.phi.fill(0);
  p.phi[p.phi.length - 1] = e.meanValue[root];
  recurse(e, p, root, 0, 0, 1, 1, -1);
}
