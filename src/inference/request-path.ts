/**
 * One request through the core: resolve the version, then that version's answer: its stages (a shadow's mirror
 * while routing gives it one; those its config declared: fallback, features, drift around the queue) around
 * validation, the queue and post-processing. Observers, audit and the traffic policy are told of the outcome.
 * InferenceService.infer is this.
 */
import type { AuditTrail } from '../audit/audit-trail.js';
import type { ModelVersion } from '../registry/model-version.js';
import type { MirroredRequest, TrafficDirector } from '../routing/traffic-director.js';
import { assembleFeatureColumns } from '../features/enrichment/feature-columns.js';
import { outcomeOf, type Outcome, type RequestObservation } from './observer.js';
import { failure, UNKNOWN_MODEL, type Observers } from './observers.js';
import { planPostProcessing } from './post-process.js';
import { RequestTimeline } from './request-timeline.js';
import type { InferenceRequest, InferenceResponse } from './types.js';
import {
  assertRequestId,
  MAX_REQUEST_ID_LENGTH,
  prepareInputs,
  schedulingParameters,
  selectOutputs,
} from './validate-request.js';
import type { VersionResolver } from './version-resolver.js';
import type { MemberRequest } from '../graph/graph-executor.js';
import type { Tensor } from '../tensor/index.js';
import { compose } from './stages/compose.js';
import { answerStages, submitStages, type AnswerContext } from './stages/request-stage.js';

type Served = (version: string, batchRows?: number) => void;
type Traced = ReturnType<TrafficDirector['begin']>;

export interface RequestPathOptions {
  readonly observers: Observers;
  readonly audit: AuditTrail | undefined;
  readonly knowsModel: (model: string) => boolean;
  resolver: VersionResolver;
  traffic?: TrafficDirector;
}

export class RequestPath {
  constructor(readonly o: RequestPathOptions) {}

  /**
   * A graph's call of a member model: the member's own request (its routing, queue, batching, statistics and
   * metrics, under protocol `graph`), without the audit trail, which records the graph's final answer only.
   */
  async member(call: MemberRequest): Promise<readonly Tensor[]> {
    const request: InferenceRequest = {
      model: call.model,
      version: call.version,
      inputs: call.inputs,
      outputs: call.outputs.map((name) => ({ name })),
      protocol: 'graph',
      traceparent: call.traceparent,
    };
    return (await this.infer(request, undefined)).outputs;
  }

  /** Runs one request with its bookkeeping: observers, audit, the traffic policy's record of failures. */
  async infer(request: InferenceRequest, auditTrail = this.o.audit): Promise<InferenceResponse> {
    this.o.observers.started();
    const timeline = new RequestTimeline();
    let version = '';
    let batchRows: number | undefined;
    // An over-long id is refused below and never logged: the observers see the request without it.
    const idOk =
      request.id === undefined || (typeof request.id === 'string' && request.id.length <= MAX_REQUEST_ID_LENGTH);
    const observe = (outcome: Outcome, error?: unknown) => {
      // A name this server does not know (a 404) is counted as `_unknown`: a caller cannot mint metric series.
      const model = version !== '' || this.o.knowsModel(request.model) ? request.model : UNKNOWN_MODEL;
      const observation: RequestObservation = {
        model,
        version,
        protocol: request.protocol ?? 'library',
        outcome,
        seconds: (performance.now() - timeline.startedMs) / 1000,
        stages: timeline.stages,
        batchRows,
        startedMs: timeline.startedMs,
        spans: timeline.spans,
        cpu: timeline.cpu,
        requestId: idOk ? request.id : undefined,
        traceparent: request.traceparent,
        ...failure(error),
      };
      this.o.observers.observe(observation, error);
    };
    try {
      assertRequestId(request.id);
      const begun = auditTrail?.begin(request); // sampled: inputs taken now, before they move to a worker
      const audit = begun instanceof Promise ? await begun : begun; // a promise only when the audit buffer is full (backpressure)
      const response = await this.run(request, timeline, (v, rows) => {
        version = v;
        batchRows = rows;
      });
      const durable = audit?.finish(response); // a promise only when audit durability is acknowledged
      if (durable) await durable;
      version = response.version;
      observe('success');
      return response;
    } catch (err) {
      this.o.traffic?.failed(request);
      observe(outcomeOf(err), err);
      throw err;
    }
  }

  /** Runs a mirrored copy on its version: no observers, no audit, no further routing (see stages/mirror-stage.ts). */
  async runShadow(copy: MirroredRequest, target: ModelVersion) {
    // Mirrored copies are copies of InferenceRequests (see routing/mirror-stages.ts).
    const request = { ...(copy as InferenceRequest), version: target.id.label };
    return (await this.run(request, new RequestTimeline(), () => undefined)).outputs;
  }

  /**
   * infer() without the bookkeeping; `timeline` collects stage times, `served` learns the version and batch.
   * The version's answer stages wrap its own answer (stages/); `depth` counts fallback-model hops.
   */
  private run(
    request: InferenceRequest,
    timeline: RequestTimeline,
    served: Served,
    depth = 0,
  ): Promise<InferenceResponse> {
    const version = this.o.resolver.choose(request);
    const trace = this.o.traffic?.begin(version, request);
    served(version.id.label);
    const ctx: AnswerContext = {
      request,
      version,
      timeline,
      viaModel: depth === 0 ? (other) => this.run(other, new RequestTimeline(), () => undefined, depth + 1) : undefined,
      failed: () => this.o.traffic?.failed(request),
    };
    return compose(answerStages(version), (c) => this.answer(c, trace, served))(ctx);
  }

  /** One version's own answer: validation, the queue (behind its submit stages), post-processing. */
  private async answer(ctx: AnswerContext, trace: Traced, served: Served): Promise<InferenceResponse> {
    const { version, timeline, attempt } = ctx;
    const { config, id } = version;
    if (attempt) attempt.stage = 'validation';
    const request = ctx.request;
    const { inputs, rows, post, outputs, scheduling } = timeline.timeSync('validation', () => {
      const assembled = assembleFeatureColumns(config, request);
      const prepared = prepareInputs(config, assembled);
      const plan = planPostProcessing(config, assembled);
      return {
        ...prepared,
        post: plan,
        outputs: selectOutputs(config, plan.request),
        scheduling: schedulingParameters(config, assembled.parameters),
      };
    });
    if (attempt) {
      attempt.stage = 'schedule';
      attempt.beforeSubmit?.(inputs);
    }
    const submitted = performance.now();
    // A graph reports the span of each node it runs into the request's timeline (graph/graph-executor.ts).
    const context = config.graph ? { step: timeline.step, traceparent: request.traceparent } : undefined;
    const submit = () => version.scheduler.submit({ inputs, outputs, rows, ...scheduling, context });
    const pending = compose(submitStages(version), submit)({ version, inputs });
    const queuedMs = performance.now() - submitted; // admission and hand-off, synchronous: the queue's CPU weight
    const result = await pending;
    if (attempt) attempt.stage = 'postprocess';
    timeline.scheduled(submitted, performance.now(), result.queueNs, result.computeNs);
    served(id.label, result.batchRows);
    const finished = timeline.timeSync(
      'postprocess',
      () => post.finish(outputs.map((name) => result.outputs.find((o) => o.name === name)!)),
      'postprocess',
    );
    timeline.costed(queuedMs, result.computeNs, rows, result.batchRows);
    ctx.answered = finished;
    this.o.traffic?.answered(trace, finished);
    return { model: config.name, version: id.label, id: request.id, outputs: finished, parameters: ctx.parameters };
  }
}
