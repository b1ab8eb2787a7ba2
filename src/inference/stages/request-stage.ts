/**
 * What a per-version stage does to a request. A stage wraps one of two steps of a version's answer:
 *
 * - `answer` stages wrap the whole answer of the version (the request in, the response out): a mirror stage while
 *   routing gives the version one (mirror-stage.ts), then the fallback and breaker, then feature enrichment, which
 *   replaces the request before it is validated;
 * - `submit` stages wrap `scheduler.submit` (validated inputs in, raw outputs out): the drift tap.
 *
 * Stages are built when a version loads, only for what its config declares (build-stages.ts), so a plain model
 * runs none; they are disposed when the version closes. A mirror stage is attached and detached at run time.
 */
import type { ModelVersion, VersionStage } from '../../registry/model-version.js';
import type { ScheduleResult } from '../../scheduler/job.js';
import type { Tensor } from '../../tensor/index.js';
import type { Attempt } from '../guarded-run.js';
import type { RequestTimeline } from '../request-timeline.js';
import type { InferenceRequest, InferenceResponse, Parameters } from '../types.js';
import type { Middleware } from './compose.js';

/** One request's answer on one version, as the answer stages see it. */
export interface AnswerContext {
  /** The request; feature enrichment replaces it with one carrying the built input. */
  request: InferenceRequest;
  readonly version: ModelVersion;
  readonly timeline: RequestTimeline;
  /** How far the version's own run got (set by the fallback stage, read when the run fails). */
  attempt?: Attempt | undefined;
  /** The version's own outputs, post-processed, once it answered itself (a fallback's answer leaves it unset). */
  answered?: readonly Tensor[] | undefined;
  /** Response parameters a stage adds (the features' freshness and fallbacks). */
  parameters?: Parameters | undefined;
  /** Runs a request on another model (a `model:` fallback); undefined when nesting forbids another hop. */
  readonly viaModel: ((request: InferenceRequest) => Promise<InferenceResponse>) | undefined;
  /** Tells the traffic policy the version did not answer itself. */
  readonly failed: () => void;
}

/** One request's batch submission, as the submit stages see it. */
export interface SubmitContext {
  readonly version: ModelVersion;
  /** The validated inputs, just before they move to a worker thread. */
  readonly inputs: readonly Tensor[];
}

export interface AnswerStage extends VersionStage {
  readonly wraps: 'answer';
  readonly handle: Middleware<AnswerContext, InferenceResponse>;
}

export interface SubmitStage extends VersionStage {
  readonly wraps: 'submit';
  readonly handle: Middleware<SubmitContext, ScheduleResult>;
}

export type RequestStage = AnswerStage | SubmitStage;

function isRequestStage(stage: VersionStage): stage is RequestStage {
  const wraps = (stage as { wraps?: unknown }).wraps;
  return (wraps === 'answer' || wraps === 'submit') && typeof (stage as { handle?: unknown }).handle === 'function';
}

const NONE: never[] = [];

/** The answer stages of a version, in order. */
export function answerStages(version: ModelVersion): Array<AnswerStage['handle']> {
  if (version.stages.length === 0) return NONE;
  return version.stages.filter(isRequestStage).flatMap((s) => (s.wraps === 'answer' ? [s.handle] : []));
}

/** The submit stages of a version, in order. */
export function submitStages(version: ModelVersion): Array<SubmitStage['handle']> {
  if (version.stages.length === 0) return NONE;
  return version.stages.filter(isRequestStage).flatMap((s) => (s.wraps === 'submit' ? [s.handle] : []));
}

/** A version's stage by name, if its config declared it. */
export function stageNamed<S extends RequestStage>(version: ModelVersion, name: string): S | undefined {
  return version.stages.find((s): s is S => s.name === name && isRequestStage(s));
}
