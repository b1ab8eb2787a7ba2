/**
 * A model's instance on the main thread, for inline execution (scheduler/inline-decision.ts): the same runtime a
 * worker hosts (an onnxruntime session with the same options, or the tree evaluator), loaded only for versions that
 * compute in tens of µs, so that a lone request skips the hop to a worker and back. Its failures reach the caller
 * exactly as a worker's do.
 */
import { createRuntime } from '../create-runtime.js';
import type { Tensor } from '../../tensor/index.js';
import type { ModelRuntime, RuntimeLoadOptions, RuntimeSignature } from '../runtime.js';
import { errorFromInfo, errorInfo } from '../worker/messages.js';

export class InlineRuntime {
  private constructor(private readonly runtime: ModelRuntime) {}

  /** Loads the model on the calling (main) thread. */
  static async load(options: RuntimeLoadOptions): Promise<InlineRuntime> {
    return new InlineRuntime(await createRuntime(options));
  }

  get signature(): RuntimeSignature {
    return this.runtime.signature;
  }

  /** Runs one call on this thread, timing the runtime as a worker times it. */
  async runTimed(
    inputs: readonly Tensor[],
    outputNames: readonly string[],
  ): Promise<{ outputs: Tensor[]; computeNs: number }> {
    const start = process.hrtime.bigint();
    try {
      const outputs = await this.runtime.run(inputs, outputNames);
      return { outputs, computeNs: Number(process.hrtime.bigint() - start) };
    } catch (err) {
      throw errorFromInfo(errorInfo(err));
    }
  }

  close(): Promise<void> {
    return this.runtime.close();
  }
}
