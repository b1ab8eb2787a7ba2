import {
  expectArray,
  expectCount,
  expectFloatArray,
  expectIntArray,
  expectObject,
  expectObjectField,
  type JsonObject,
} from './expect-json.js';
import { ModelFormatError } from './model-format-error.js';

/** XGBoost treats category values >= 2^24 (not exactly representable in float32) as invalid. */
export const MAX_CATEGORY = 16777216;

/** One XGBoost tree in its original node numbering, validated. */
export interface RawTree {
  readonly numNodes: number;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly splitIndex: Int32Array;
  /** Threshold for internal nodes, leaf value for leaves. */
  readonly splitCondition: Float32Array;
  readonly defaultLeft: Int32Array;
  readonly sumHessian: Float32Array;
  /** Sorted category set (the categories that go right) of each categorical node. */
  readonly categories: ReadonlyMap<number, Int32Array>;
}

/** Checks child links and split features of every node. */
function checkNodes(tree: RawTree, numFeatures: number, path: string): void {
  const n = tree.numNodes;
  for (let i = 0; i < n; i++) {
    const l = tree.left[i];
    const r = tree.right[i];
    if (l === -1 && r === -1) continue;
    if (l < 0 || l >= n || r < 0 || r >= n || l === i || r === i || l === r) {
      throw new ModelFormatError(
        `${path}.left_children[${i}]`,
        `node ${i} has invalid children (${l}, ${r}) for a tree of ${n} nodes`,
      );
    }
    const f = tree.splitIndex[i];
    if (f < 0 || f >= numFeatures) {
      throw new ModelFormatError(
        `${path}.split_indices[${i}]`,
        `split feature ${f} is out of range for ${numFeatures} features`,
      );
    }
  }
}

/** Reads a sorted, duplicate-free list of non-negative category values. */
function readCategorySet(all: Int32Array, begin: number, size: number, path: string): Int32Array {
  if (begin < 0 || size < 0 || begin + size > all.length) {
    throw new ModelFormatError(path, `category segment [${begin}, ${begin + size}) exceeds ${all.length} categories`);
  }
  const set = all.slice(begin, begin + size).sort();
  for (let i = 0; i < set.length; i++) {
    if (set[i] < 0 || set[i] >= MAX_CATEGORY) {
      throw new ModelFormatError(path, `category ${set[i]} is outside [0, ${MAX_CATEGORY})`);
    }
  }
  return set;
}

/** Reads the categorical split sets (XGBoost >= 1.5 fields; absent in older models). */
function readCategories(
  obj: JsonObject,
  splitType: Int32Array,
  isLeaf: (i: number) => boolean,
  path: string,
): Map<number, Int32Array> {
  const result = new Map<number, Int32Array>();
  if (obj.categories_nodes === undefined) return result;
  const nodes = expectIntArray(obj.categories_nodes, `${path}.categories_nodes`);
  const segments = expectIntArray(obj.categories_segments, `${path}.categories_segments`, nodes.length);
  const sizes = expectIntArray(obj.categories_sizes, `${path}.categories_sizes`, nodes.length);
  const all = expectIntArray(obj.categories, `${path}.categories`);
  for (let k = 0; k < nodes.length; k++) {
    const node = nodes[k];
    if (node < 0 || node >= splitType.length || splitType[node] !== 1 || isLeaf(node)) {
      throw new ModelFormatError(`${path}.categories_nodes[${k}]`, `node ${node} is not a categorical split`);
    }
    result.set(node, readCategorySet(all, segments[k], sizes[k], `${path}.categories_segments[${k}]`));
  }
  return result;
}

/** Reads `split_type` (0 numeric, 1 categorical); all-numeric when absent. */
function readSplitTypes(obj: JsonObject, n: number, path: string): Int32Array {
  if (obj.split_type === undefined) return new Int32Array(n);
  const types = expectIntArray(obj.split_type, `${path}.split_type`, n);
  for (let i = 0; i < n; i++) {
    if (types[i] !== 0 && types[i] !== 1) {
      throw new ModelFormatError(`${path}.split_type[${i}]`, `unknown split type ${types[i]}`);
    }
  }
  return types;
}

/** Reads `tree_param.num_nodes` and rejects vector-leaf trees. */
function readNumNodes(obj: JsonObject, path: string): number {
  const param = expectObjectField(obj, 'tree_param', path);
  const leafVector =
    param.size_leaf_vector === undefined
      ? 0
      : expectCount(param.size_leaf_vector, `${path}.tree_param.size_leaf_vector`);
  if (leafVector > 1) {
    throw new ModelFormatError(
      `${path}.tree_param.size_leaf_vector`,
      `vector-leaf (multi_strategy) trees are not supported`,
    );
  }
  const n = expectCount(param.num_nodes, `${path}.tree_param.num_nodes`);
  if (n < 1) throw new ModelFormatError(`${path}.tree_param.num_nodes`, 'a tree needs at least one node');
  return n;
}

/**
 * Parses and validates one tree of `learner.gradient_booster.model.trees`.
 * @param value the tree's JSON object; @param numFeatures model feature count;
 * @param path JSON path used in error messages.
 */
export function parseXGBoostTree(value: unknown, numFeatures: number, path: string): RawTree {
  const obj = expectObject(value, path);
  const n = readNumNodes(obj, path);
  const left = expectIntArray(obj.left_children, `${path}.left_children`, n);
  const right = expectIntArray(obj.right_children, `${path}.right_children`, n);
  const splitType = readSplitTypes(obj, n, path);
  expectArray(obj.sum_hessian, `${path}.sum_hessian`, n);
  const tree: RawTree = {
    numNodes: n,
    left,
    right,
    splitIndex: expectIntArray(obj.split_indices, `${path}.split_indices`, n),
    splitCondition: expectFloatArray(obj.split_conditions, `${path}.split_conditions`, n),
    defaultLeft: expectIntArray(obj.default_left, `${path}.default_left`, n),
    sumHessian: expectFloatArray(obj.sum_hessian, `${path}.sum_hessian`, n),
    categories: readCategories(obj, splitType, (i) => left[i] === -1, path),
  };
  checkNodes(tree, numFeatures, path);
  for (let i = 0; i < n; i++) {
    if (splitType[i] === 1 && tree.left[i] !== -1 && !tree.categories.has(i)) {
      throw new ModelFormatError(`${path}.split_type[${i}]`, `categorical node ${i} has no category set`);
    }
  }
  return tree;
}
