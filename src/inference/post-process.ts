/**
 * Post-processing, on the main thread after the scheduler answers (it is cheap): a binary classifier's thresholded
 * `label` (config parameter `threshold`) and Triton's classification extension (`"classification": K` on a
 * requested output). Planned before scheduling, so mistakes are answered at once and the outputs a derived one
 * needs are computed. Works on tensors alone: any runtime, any front end.
 */
import type { ModelConfig } from '../config/index.js';
import type { ThresholdConfig } from '../config/model-config-postprocess.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { Tensor } from '../tensor/index.js';
import { classify, UNCLASSIFIABLE } from './classification.js';
import { applyThreshold } from './threshold.js';
import type { InferenceRequest, RequestedOutput } from './types.js';

export interface PostProcessPlan {
  /** The request to validate and schedule: a derived output is replaced by the output it is computed from. */
  readonly request: InferenceRequest;
  /** The answer's outputs, from the computed ones. */
  finish(computed: readonly Tensor[]): Tensor[];
}

/** Reads and checks `classification` (top-K) on each requested output. */
function classificationCounts(
  config: ModelConfig,
  outputs: readonly RequestedOutput[] | undefined,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of outputs ?? []) {
    const k = o.parameters?.classification;
    if (k === undefined) continue;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
      throw new InvalidArgumentError(
        `output '${o.name}': parameter 'classification' must be a positive integer (how many top classes to return), got ${JSON.stringify(k)}`,
      );
    }
    const spec = config.outputs.find((s) => s.name === o.name);
    if (spec && UNCLASSIFIABLE.has(spec.datatype)) {
      throw new InvalidArgumentError(
        `output '${o.name}' is ${spec.datatype} and cannot be classified; ask for classification on a numeric output such as scores or probabilities`,
      );
    }
    counts.set(o.name, k);
  }
  return counts;
}

/** The outputs to compute for a request naming the decision: the scores instead of the label. */
function scoreOutputs(
  threshold: ThresholdConfig,
  outputs: readonly RequestedOutput[],
): { outputs: RequestedOutput[]; helper?: string } {
  const list = outputs.filter((o) => o.name !== threshold.labelOutput);
  if (list.some((o) => o.name === threshold.output)) return { outputs: list };
  return { outputs: [...list, { name: threshold.output }], helper: threshold.output };
}

/** The answer's output names: those requested (plus any the service added, e.g. explanations), or all computed. */
function answerNames(
  computed: readonly string[],
  requested: readonly string[] | undefined,
  helper: string | undefined,
  derived: string | undefined,
): string[] {
  if (requested) return [...requested, ...computed.filter((n) => !requested.includes(n) && n !== helper)];
  return derived !== undefined && !computed.includes(derived) ? [...computed, derived] : [...computed];
}

/** Plans a request's post-processing; throws InvalidArgumentError for a malformed `classification` parameter. */
export function planPostProcessing(config: ModelConfig, request: InferenceRequest): PostProcessPlan {
  const counts = classificationCounts(config, request.outputs);
  const requested = request.outputs?.map((o) => o.name);
  const threshold = config.threshold;
  const decide = threshold !== undefined && (requested === undefined || requested.includes(threshold.labelOutput));
  const duplicated = requested !== undefined && new Set(requested).size !== requested.length; // the service refuses it
  if ((!decide && counts.size === 0) || duplicated) return { request, finish: (computed) => [...computed] };
  const rewrite = decide && request.outputs ? scoreOutputs(threshold, request.outputs) : undefined;
  const batching = config.maxBatchSize > 0;
  return {
    request: rewrite ? { ...request, outputs: rewrite.outputs } : request,
    finish(computed) {
      const byName = new Map(computed.map((t) => [t.name, t]));
      if (decide) byName.set(threshold.labelOutput, applyThreshold(threshold, byName.get(threshold.output)!, batching));
      const names = answerNames(
        computed.map((t) => t.name),
        requested,
        rewrite?.helper,
        decide ? threshold.labelOutput : undefined,
      );
      return names.map((name) => {
        const t = byName.get(name)!;
        const k = counts.get(name);
        return k === undefined ? t : classify(t, k, config.labels?.[name], batching);
      });
    },
  };
}
