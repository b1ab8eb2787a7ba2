/**
 * The hook through which the inference core hands sampled requests' data to drift monitoring. It runs on the
 * request path, so an implementation only decides (cheaply) and copies; counting happens later, elsewhere.
 */
import type { ModelConfig } from '../config/index.js';
import type { Tensor } from '../tensor/index.js';

export interface DriftTap {
  /**
   * Called with a request's validated inputs before they move to a worker thread. Returns undefined when the
   * request is not sampled; otherwise the inputs it needs are copied now, and the returned function takes the
   * model's raw outputs (copied there too) once they are known.
   */
  tap(
    config: ModelConfig,
    version: string,
    inputs: readonly Tensor[],
  ): ((outputs: readonly Tensor[]) => void) | undefined;
}
