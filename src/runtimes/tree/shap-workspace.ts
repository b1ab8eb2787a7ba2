const EMPTY = new Float32Array(0);

/**
 * Preallocated buffers for TreeSHAP: the "unique path" stack of all recursion levels
 * (struct-of-arrays version of XGBoost's PathElement[]: feature index, zero fraction, one
 * fraction, permutation weight; float32 like XGBoost) plus one tree's contributions.
 */
export class ShapWorkspace {
  readonly feature: Int32Array;
  readonly zero: Float32Array;
  readonly one: Float32Array;
  readonly weight: Float32Array;
  /** One tree's contributions: `numFeatures` features then the bias. */
  readonly phi: Float32Array;
  /** The batch being explained and the offset of the current row in it. */
  features: Float32Array = EMPTY;
  offset = 0;

  /** @param maxDepth deepest tree's depth; @param numFeatures model feature count. */
  constructor(maxDepth: number, numFeatures: number) {
    const levels = maxDepth + 2;
    const size = (levels * (levels + 1)) / 2;
    this.feature = new Int32Array(size);
    this.zero = new Float32Array(size);
    this.one = new Float32Array(size);
    this.weight = new Float32Array(size);
    this.phi = new Float32Array(numFeatures + 1);
  }
}
