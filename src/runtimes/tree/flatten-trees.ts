import { ModelFormatError } from './model-format-error.js';
import type { RawTree } from './parse-xgboost-tree.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/** The node arrays of a {@link TreeEnsemble}. */
export type FlatNodes = Pick<
  TreeEnsemble,
  | 'treeStart'
  | 'maxDepth'
  | 'left'
  | 'right'
  | 'defaultChild'
  | 'splitFeature'
  | 'threshold'
  | 'catStart'
  | 'catWords'
  | 'catBits'
  | 'leafValue'
  | 'cover'
  | 'meanValue'
>;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface TreeOrder {
  /** Original node ids in depth-first pre-order (left subtree first). */
  readonly order: Int32Array;
  /** New (tree-local) index of each original node, -1 if unreachable. */
  readonly newIndex: Int32Array;
  readonly depth: number;
}

/** Pre-order walk from the root; rejects cycles and shared children. */
function walkTree(tree: RawTree, path: string): TreeOrder {
  const newIndex = new Int32Array(tree.numNodes).fill(-1);
  const order: number[] = [];
  const stack: number[] = [0, 0]; // (node, depth) pairs
  let depth = 0;
  while (stack.length > 0) {
    const d = stack.pop() as number;
    const node = stack.pop() as number;
    if (newIndex[node] !== -1) {
      throw new ModelFormatError(`${path}.left_children`, `node ${node} is reachable twice (cycle or shared child)`);
    }
    newIndex[node] = order.length;
    order.push(node);
    if (d > depth) depth = d;
    if (tree.left[node] !== -1) stack.push(tree.right[node], d + 1, tree.left[node], d + 1);
  }
  return { order: Int32Array.from(order), newIndex, depth };
}

/** 32-bit words needed for a sorted category set's bitset. */
function bitsetWords(categories: Int32Array): number {
  return categories.length === 0 ? 1 : (categories[categories.length - 1] >>> 5) + 1;
}

/** Allocates node arrays for `numNodes` nodes and `numCatWords` bitset words. */
function allocate(numTrees: number, numNodes: number, numCatWords: number): Mutable<FlatNodes> {
  return {
    treeStart: new Int32Array(numTrees + 1),
    maxDepth: 0,
    left: new Int32Array(numNodes),
    right: new Int32Array(numNodes),
    defaultChild: new Int32Array(numNodes),
    splitFeature: new Int32Array(numNodes),
    threshold: new Float32Array(numNodes),
    catStart: new Int32Array(numNodes).fill(-1),
    catWords: new Int32Array(numNodes),
    catBits: new Uint32Array(numCatWords),
    leafValue: new Float32Array(numNodes),
    cover: new Float32Array(numNodes),
    meanValue: new Float32Array(numNodes),
  };
}

/** Copies one node (original id `old`) of `tree` to flat index `at`. Returns catBits used. */
function copyNode(
  out: Mutable<FlatNodes>,
  tree: RawTree,
  walk: TreeOrder,
  base: number,
  old: number,
  catAt: number,
): number {
  const at = base + walk.newIndex[old];
  out.cover[at] = tree.sumHessian[old];
  if (tree.left[old] === -1) {
    out.left[at] = out.right[at] = out.defaultChild[at] = -1;
    out.leafValue[at] = tree.splitCondition[old];
    return 0;
  }
  out.left[at] = base + walk.newIndex[tree.left[old]];
  out.right[at] = base + walk.newIndex[tree.right[old]];
  out.defaultChild[at] = tree.defaultLeft[old] !== 0 ? out.left[at] : out.right[at];
  out.splitFeature[at] = tree.splitIndex[old];
  out.threshold[at] = tree.splitCondition[old];
  const cats = tree.categories.get(old);
  if (cats === undefined) return 0;
  out.catStart[at] = catAt;
  out.catWords[at] = bitsetWords(cats);
  for (const c of cats) out.catBits[catAt + (c >>> 5)] |= 1 << (c & 31);
  return out.catWords[at];
}

/**
 * XGBoost's FillNodeMeanValue in float32: the cover-weighted mean leaf value below each
 * node, divided by the node's own cover. Children follow parents, so walk backwards.
 */
function fillMeanValues(out: Mutable<FlatNodes>, begin: number, end: number): void {
  const f = Math.fround;
  for (let n = end - 1; n >= begin; n--) {
    const l = out.left[n];
    const r = out.right[n];
    out.meanValue[n] =
      l === -1
        ? out.leafValue[n]
        : f(f(f(out.meanValue[l] * out.cover[l]) + f(out.meanValue[r] * out.cover[r])) / out.cover[n]);
  }
}

/**
 * Flattens validated trees into one pre-ordered node index space (see {@link TreeEnsemble}),
 * dropping nodes unreachable from each root.
 * @param path JSON path of the trees array, for error messages.
 */
export function flattenTrees(trees: readonly RawTree[], path: string): FlatNodes {
  const walks = trees.map((t, i) => walkTree(t, `${path}[${i}]`));
  let numNodes = 0;
  let numCatWords = 0;
  trees.forEach((t, i) => {
    numNodes += walks[i].order.length;
    for (const cats of t.categories.values()) numCatWords += bitsetWords(cats);
  });
  const out = allocate(trees.length, numNodes, numCatWords);
  let base = 0;
  let catAt = 0;
  trees.forEach((tree, i) => {
    const walk = walks[i];
    out.treeStart[i] = base;
    for (const old of walk.order) catAt += copyNode(out, tree, walk, base, old, catAt);
    fillMeanValues(out, base, base + walk.order.length);
    out.maxDepth = Math.max(out.maxDepth, walk.depth);
    base += walk.order.length;
  });
  out.treeStart[trees.length] = base;
  return out;
}
