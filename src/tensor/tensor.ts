import type { Datatype, TensorData } from './datatype.js';

/** A named tensor. `data` holds elements in row-major order; its length equals the shape's product. */
export interface Tensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** Declared signature of one input or output. `dims` excludes the batch dimension when the model batches; -1 is variable. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly dims: readonly number[];
}
