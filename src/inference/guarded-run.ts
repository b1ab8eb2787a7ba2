/**
 * Runs a request on a model version that declares a fallback: through its circuit breaker, and when the model
 * fails, times out, is shed or cannot get its features (as the config's `fallback.when` says), answers from the
 * fallback instead: flagged in the response parameters (`fallback: true`, `fallback_reason`) and counted.
 * Mistakes of the caller (invalid input, unknown output) are never covered: they fail as they would without.
 */
import type { FallbackReason, FallbackTrigger, ModelConfig } from '../config/index.js';
import { InferenceError, RejectedInputError, UnavailableError } from '../errors/index.js';
import type { CapturedValues } from '../resilience/fallback-predictor.js';
import type { ModelGuard, ModelGuards } from '../resilience/model-guards.js';
import type { Tensor } from '../tensor/index.js';
import { planPostProcessing } from './post-process.js';
import type { InferenceRequest, InferenceResponse } from './types.js';

/** Where the request was when it failed. */
export type RunStage = 'features' | 'validation' | 'schedule' | 'postprocess';

/** What the primary run reports back while it runs. */
export interface Attempt {
  stage: RunStage;
  /** Called with the model's inputs just before they are queued (and move to a worker thread). */
  beforeSubmit?(inputs: readonly Tensor[]): void;
}

export interface GuardedRun {
  readonly guard: ModelGuard;
  readonly guards: ModelGuards;
  readonly config: ModelConfig;
  readonly version: string;
  readonly request: InferenceRequest;
  /** The model's own run. */
  primary(attempt: Attempt): Promise<InferenceResponse>;
  /** Runs a request on another model (a `model:` fallback); undefined when nesting forbids another hop. */
  readonly viaModel: ((request: InferenceRequest) => Promise<InferenceResponse>) | undefined;
  /** Tells the traffic policy the version did not answer itself. */
  failed(): void;
}

const CALLER_MISTAKES = new Set([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'UNSUPPORTED',
  'PAYLOAD_TOO_LARGE',
  'CONFIG_INVALID',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'RATE_LIMITED',
]);

/**
 * The fallback trigger of an error at a stage; undefined for the caller's own mistakes. An input the model failed on
 * at run time (RejectedInputError) is the caller's, but the model could not answer it: a fallback covering `error`
 * answers it, as it answers the same request failing in a call of its own.
 */
export function triggerOf(err: unknown, stage: RunStage): FallbackTrigger | undefined {
  if (err instanceof RejectedInputError) return 'error';
  const code = err instanceof InferenceError ? err.code : 'INTERNAL';
  if (CALLER_MISTAKES.has(code)) return undefined;
  if (stage === 'features') return 'features';
  if (stage !== 'schedule') return 'error';
  if (code === 'UNAVAILABLE') return 'shed';
  if (code === 'DEADLINE_EXCEEDED') return 'timeout';
  return 'error';
}

/** Runs the model behind its breaker; answers from the fallback when the config says so. */
export async function runGuarded(run: GuardedRun): Promise<InferenceResponse> {
  const { guard, config } = run;
  if (guard.breaker && !guard.breaker.allow()) {
    run.failed();
    const answer = await fallbackAnswer(run, 'breaker_open', captureAll(run));
    if (answer) return answer;
    throw new UnavailableError(
      `model '${config.name}' is failing (circuit breaker open) and its fallback cannot answer this request; retry later`,
      1,
      'circuit_open',
    );
  }
  let captured = captureAll(run);
  const attempt: Attempt = {
    stage: 'features',
    // A feature-backed model's built input carries the feature columns a rule may read.
    ...(config.features && guard.predictor?.readsInputs
      ? {
          beforeSubmit: (inputs: readonly Tensor[]) =>
            (captured = guard.predictor!.capture(inputs, captured as CapturedValues | undefined)),
        }
      : {}),
  };
  try {
    const response = await run.primary(attempt);
    guard.breaker?.success();
    return response;
  } catch (err) {
    const trigger = triggerOf(err, attempt.stage);
    // A rejected input says nothing about the model's health: the others batched with it were answered.
    if (
      attempt.stage === 'schedule' &&
      (trigger === 'error' || trigger === 'timeout') &&
      !(err instanceof RejectedInputError)
    )
      guard.breaker?.failure();
    else guard.breaker?.neutral();
    if (!trigger || !guard.covers(trigger)) throw err;
    run.failed();
    const answer = await fallbackAnswer(run, trigger, captured).catch(() => undefined);
    if (!answer) throw err;
    return answer;
  }
}

type Captured = CapturedValues | Tensor[] | undefined;

/** What the fallback needs from the request, read before its inputs move to a worker. */
function captureAll(run: GuardedRun): Captured {
  const { guard, request } = run;
  if (guard.fallback.predictor.kind === 'model')
    return request.inputs.map((t) => ({ ...t, data: t.data.slice() }) as Tensor);
  return guard.predictor?.readsInputs ? guard.predictor.capture(request.inputs) : undefined;
}

/**
 * A constant or rule fallback's outputs, post-processed as the model's own would be: a threshold's `label` from
 * the fallback's scores, `classification` top-K as "score:index:label" strings. A client sees the same outputs
 * in the same types whichever answered. A fallback that gives the label itself (and not the scores a threshold
 * reads) is answered as it gives it.
 */
function fallbackOutputs(run: GuardedRun, values: CapturedValues | undefined): readonly Tensor[] | undefined {
  const { guard, config, request } = run;
  const predictor = guard.predictor!;
  const rows = values?.rows ?? predictor.rowsOf(request.inputs);
  const plan = planPostProcessing(config, request);
  const computed =
    predictor.predict(
      rows,
      values,
      plan.request.outputs?.map((o) => o.name),
    ) ??
    (plan.request !== request
      ? predictor.predict(
          rows,
          values,
          request.outputs?.map((o) => o.name),
        )
      : undefined);
  if (!computed) return undefined;
  const scores = config.threshold?.output;
  return scores === undefined || computed.some((t) => t.name === scores) ? plan.finish(computed) : computed;
}

async function fallbackAnswer(
  run: GuardedRun,
  reason: FallbackReason,
  captured: Captured,
): Promise<InferenceResponse | undefined> {
  const { guard, config, request } = run;
  const p = guard.fallback.predictor;
  const flags: Record<string, unknown> = { fallback: true, fallback_reason: reason };
  let outputs: readonly Tensor[] | undefined;
  if (p.kind === 'model') {
    if (!run.viaModel) return undefined;
    const other = await run.viaModel({ ...request, model: p.model, version: undefined, inputs: captured as Tensor[] });
    outputs = other.outputs;
    Object.assign(flags, other.parameters, { fallback: true, fallback_reason: reason, fallback_model: p.model });
  } else {
    outputs = fallbackOutputs(run, captured as CapturedValues | undefined);
  }
  if (!outputs) return undefined;
  run.guards.answered(config.name, run.version, reason);
  return { model: config.name, version: run.version, id: request.id, outputs, parameters: flags };
}
