/**
 * The data plane, independent of transport: resolve the version, validate, schedule, answer.
 * HTTP, gRPC and in-process callers all come through `infer`.
 */
import type { ModelConfig } from '../config/index.js';
import type { IndexEntry, ModelRegistry } from '../registry/model-registry.js';
import { assembleFeatureColumns } from './feature-columns.js';
import { enrichRequest } from './enrich-request.js';
import type { FeatureService } from '../features/feature-service.js';
import { rowsFromJson } from '../features/ingest-rows.js';
import type { WriteResult } from '../features/types.js';
import { NotFoundError } from '../errors/index.js';
import { OverloadedError } from '../scheduler/overloaded-error.js';
import { describeTensors, metadataParameters, type ModelMetadata } from './model-metadata.js';
import { planPostProcessing } from './post-process.js';
import type { StatisticsSnapshot } from '../scheduler/model-statistics.js';
import type { InferenceRequest, InferenceResponse } from './types.js';
import { outcomeOf, type InferenceObserver, type Outcome, type RequestObservation } from './observer.js';
import { RequestTimeline } from './request-timeline.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { AuditQuery, StoredPrediction } from '../audit/audit-record.js';
import { SloService } from './slo-service.js';
import type { ServingVersion } from '../registry/serving-version.js';
import type { MirroredRequest, TrafficDirector } from '../routing/traffic-director.js';
import type { DriftTap } from '../quality/drift-tap.js';

export interface VersionStatistics extends StatisticsSnapshot {
  readonly name: string;
  readonly version: string;
  /** Requests waiting now. */
  readonly queueDepth: number;
  /** How long loading the version took. */
  readonly loadMs?: number | undefined;
  /** Requests admitted and not yet answered (queued + computing). */
  readonly inFlight?: number;
  /** The adaptive in-flight limit now, for versions with adaptive_concurrency. */
  readonly concurrencyLimit?: number | undefined;
}
import { assertRequestId, MAX_REQUEST_ID_LENGTH, prepareInputs, schedulingParameters, selectOutputs } from './validate-request.js';
import { ModelGuards } from '../resilience/model-guards.js';
import { runGuarded, type Attempt } from './guarded-run.js';
import type { NotReadyReason } from '../registry/readiness.js';

/** A dependency without which requests fail: `problem()` says why it fails now, or undefined while it works. */
export interface ReadinessCheck {
  /** e.g. 'audit_store', 'rate_store', 'feature_store:online' */
  readonly dependency: string;
  problem(): string | undefined;
}

/** Whether the server should take traffic, and if not, every reason (models not serving, dependencies failing). */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly reasons: readonly NotReadyReason[];
}

/** The model label of requests refused before their model was known to exist. */
export const UNKNOWN_MODEL = '_unknown';

/** What an observation says about a failure: message, code and, for a shed request, why. */
function failure(error: unknown): Pick<RequestObservation, 'error' | 'code' | 'shedReason'> {
  if (!(error instanceof Error)) return {};
  const code = (error as { code?: unknown }).code;
  return {
    error: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error instanceof OverloadedError ? { shedReason: error.reason } : {}),
  };
}

export class InferenceService {
  private readonly observers: InferenceObserver[] = [];
  /** Errors the observers were already told about, so the front ends report only the others (observeRefusal). */
  private readonly observedErrors = new WeakSet<object>();
  private readonly readinessChecks: ReadinessCheck[] = [];

  /** Breakers and fallbacks of the versions that declare one; listen() to count them. */
  readonly guards = new ModelGuards();

  /** Per-model SLOs: the in-process record (fed as an observer) and the reports of GET /v1/models/{m}/slo. */
  readonly slo: SloService;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly features?: FeatureService,
    private readonly audit?: AuditTrail,
  ) {
    this.slo = new SloService(registry);
    this.addObserver(this.slo);
    if (audit) this.addReadinessCheck({ dependency: 'audit_store', problem: () => audit.readinessProblem() });
    if (features) this.addReadinessCheck({ dependency: 'feature_store', problem: () => features.readinessProblem(this.viewsNeeded()) });
  }

  /** Feature views some serving version reads with no fallback of its own for a feature failure. */
  private viewsNeeded(): Set<string> {
    const views = new Set<string>();
    for (const name of new Set(this.registry.loadedIndex().map((e) => e.name))) {
      for (const v of this.registry.model(name).versions.values()) {
        const config = v.state === 'READY' ? v.config : undefined;
        if (!config?.features || config.fallback?.when.includes('features')) continue;
        for (const c of config.features.columns) views.add(c.view);
      }
    }
    return views;
  }

  /** Adds a dependency readiness reports on (the audit store and feature stores are added by the constructor). */
  addReadinessCheck(check: ReadinessCheck): void {
    this.readinessChecks.push(check);
  }

  /** Adds an observer told about every request's outcome, latency and stages (metrics, SLOs). */
  addObserver(observer: InferenceObserver): void {
    this.observers.push(observer);
  }

  /** Routes requests that name no version through a traffic policy (weights, sticky keys, shadow, canary). */
  useTraffic(director: TrafficDirector): void {
    this.traffic = director;
  }

  private traffic: TrafficDirector | undefined;

  /** Hands sampled requests' inputs and raw outputs to drift monitoring (copies; counted off the request path). */
  useDriftTap(tap: DriftTap): void {
    this.drift = tap;
  }

  private drift: DriftTap | undefined;

  /**
   * Runs one request. Takes ownership of the input arrays: their buffers move to a worker thread and are
   * detached here afterwards. (Inferd.infer copies first for library callers.)
   */
  async infer(request: InferenceRequest): Promise<InferenceResponse> {
    for (const o of this.observers) o.started?.();
    const timeline = new RequestTimeline();
    let version = '';
    let batchRows: number | undefined;
    // An over-long id is refused below and never logged: the observers see the request without it.
    const idOk = request.id === undefined || (typeof request.id === 'string' && request.id.length <= MAX_REQUEST_ID_LENGTH);
    const observe = (outcome: Outcome, error?: unknown) => {
      // A name this server does not know (a 404) is counted as `_unknown`: a caller cannot mint metric series.
      const model = version !== '' || this.knowsModel(request.model) ? request.model : UNKNOWN_MODEL;
      const observation: RequestObservation = {
        model, version, protocol: request.protocol ?? 'library', outcome,
        seconds: (performance.now() - timeline.startedMs) / 1000, stages: timeline.stages, batchRows,
        startedMs: timeline.startedMs, spans: timeline.spans, requestId: idOk ? request.id : undefined, traceparent: request.traceparent,
        ...failure(error),
      };
      for (const o of this.observers) o.observe(observation);
    };
    try {
      assertRequestId(request.id);
      const begun = this.audit?.begin(request); // sampled: inputs taken now, before they move to a worker
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
      this.traffic?.failed(request);
      observe(outcomeOf(err), err);
      if (typeof err === 'object' && err !== null) this.observedErrors.add(err);
      throw err;
    }
  }

  /** Runs a shadow copy on its version: no observers, no audit, no further routing. */
  private async runShadow(copy: MirroredRequest, target: ServingVersion) {
    // Shadow copies are copies of InferenceRequests (see TrafficDirector.begin).
    const request = { ...(copy as InferenceRequest), version: String(target.version) };
    return (await this.run(request, new RequestTimeline(), () => undefined)).outputs;
  }

  /**
   * infer() without the bookkeeping; `timeline` collects stage times, `served` learns the version and batch.
   * A version with a fallback runs behind its breaker (guarded-run.ts); `depth` counts fallback-model hops.
   */
  private async run(request: InferenceRequest, timeline: RequestTimeline, served: (version: string, batchRows?: number) => void, depth = 0): Promise<InferenceResponse> {
    const version = this.traffic?.choose(request) ?? this.registry.resolveReady(request.model, request.version);
    const trace = this.traffic?.begin(version, request);
    const config = version.config!;
    served(String(version.version));
    const guard = this.guards.guard(config, String(version.version));
    if (!guard) return this.serve(request, version, trace, timeline, served);
    return runGuarded({
      guard, guards: this.guards, config, version: String(version.version), request,
      primary: (attempt) => this.serve(request, version, trace, timeline, served, attempt),
      viaModel: depth === 0 ? (other) => this.run(other, new RequestTimeline(), () => undefined, depth + 1) : undefined,
      failed: () => this.traffic?.failed(request),
    });
  }

  /** One version's own answer: features, validation, the queue, post-processing. `attempt` learns how far it got. */
  private async serve(
    request: InferenceRequest, version: ServingVersion, trace: ReturnType<TrafficDirector['begin']> | undefined,
    timeline: RequestTimeline, served: (version: string, batchRows?: number) => void, attempt?: Attempt,
  ): Promise<InferenceResponse> {
    const config = version.config!;
    let featureReport;
    if (config.features) {
      ({ request, parameters: featureReport } = await timeline.time('features', () => enrichRequest(config, request, this.features), 'features'));
    }
    if (attempt) attempt.stage = 'validation';
    const { inputs, rows, post, outputs, scheduling } = timeline.timeSync('validation', () => {
      request = assembleFeatureColumns(config, request);
      const prepared = prepareInputs(config, request);
      const plan = planPostProcessing(config, request);
      return { ...prepared, post: plan, outputs: selectOutputs(config, plan.request), scheduling: schedulingParameters(config, request.parameters) };
    });
    const tapped = this.drift?.tap(config, String(version.version), inputs); // before the inputs move to a worker
    if (attempt) {
      attempt.stage = 'schedule';
      attempt.beforeSubmit?.(inputs);
    }
    const submitted = performance.now();
    const result = await version.scheduler!.submit({ inputs, outputs, rows, ...scheduling });
    if (attempt) attempt.stage = 'postprocess';
    tapped?.(result.outputs);
    timeline.scheduled(submitted, performance.now(), result.queueNs, result.computeNs);
    served(String(version.version), result.batchRows);
    const finished = timeline.timeSync('postprocess', () => post.finish(outputs.map((name) => result.outputs.find((o) => o.name === name)!)), 'postprocess');
    this.traffic?.answered(trace, finished, (copy, target) => this.runShadow(copy, target));
    return { model: config.name, version: String(version.version), id: request.id, outputs: finished, parameters: featureReport };
  }

  /** Recorded predictions, newest first (GET /v1/predictions). */
  predictions(query: AuditQuery): Promise<StoredPrediction[]> {
    if (!this.audit) throw new NotFoundError('the audit trail is off on this server; set audit.enabled: true in the server config to record predictions');
    return this.audit.query(query);
  }

  /** Upserts rows into a feature view from a `{"rows": [...]}` body (POST /v1/features/{view}). */
  async writeFeatures(view: string, body: unknown): Promise<WriteResult> {
    if (!this.features) throw new NotFoundError(`unknown feature view '${view}': this server has no features config (set features_config or put features.yaml in the model repository)`);
    return this.features.write(view, rowsFromJson(this.features.view(view), body));
  }

  /**
   * Refuses a request before its body is read when the version it would reach cannot take it (queue full,
   * unloading). Unknown models and other problems are left for infer() to report.
   */
  admit(model: string, version?: string, priority?: number): void {
    let resolved;
    try {
      resolved = this.registry.resolveReady(model, version);
    } catch {
      return;
    }
    const { scheduler, config } = { scheduler: resolved.scheduler!, config: resolved.config };
    const refused = scheduler.admissionError(priority);
    // A model whose fallback covers shedding answers from it: let the request reach infer() with its body.
    if (refused && !config?.fallback?.when.includes('shed')) {
      scheduler.recordRejection(refused);
      const observation = { model, version: String(resolved.version), protocol: 'http', outcome: 'rejected' as const, seconds: 0, stages: {}, refusedEarly: true, ...failure(refused) };
      for (const o of this.observers) o.observe(observation);
      this.observedErrors.add(refused);
      throw refused;
    }
  }

  /**
   * Tells the observers of a request refused before it reached infer(): authentication, rate limits, a body that
   * could not be decoded. Only a model this server knows keeps its name; any other is counted as `_unknown`, so a
   * caller cannot mint metric series by naming models.
   */
  observeRefusal(refusal: {
    readonly model: string | undefined;
    readonly protocol: string;
    readonly error: unknown;
    readonly traceparent?: string | undefined;
    /** The version the request named, if any. */
    readonly version?: string | undefined;
    /**
     * Seconds since the request arrived, when its body was read and refused by the checks against the model
     * (declared shapes, batch size): such a request is observed like one infer() refused, with its version and
     * latency, so its counts do not depend on where the check ran.
     */
    readonly seconds?: number | undefined;
  }): void {
    const model = refusal.model !== undefined && this.knowsModel(refusal.model) ? refusal.model : UNKNOWN_MODEL;
    const version = refusal.seconds === undefined || model === UNKNOWN_MODEL ? undefined : this.answeringVersion(model, refusal.version);
    if (version !== undefined) for (const o of this.observers) o.started?.();
    const observation: RequestObservation = {
      model, version: version ?? '', protocol: refusal.protocol, outcome: outcomeOf(refusal.error), seconds: version === undefined ? 0 : (refusal.seconds ?? 0), stages: {},
      refusedEarly: version === undefined, traceparent: refusal.traceparent, ...failure(refusal.error),
    };
    for (const o of this.observers) o.observe(observation);
  }

  /** The version that answers a request naming `version` (or none) of a known model, if one is ready. */
  private answeringVersion(model: string, version: string | undefined): string | undefined {
    try {
      return String(this.registry.resolve(model, version).version);
    } catch {
      return undefined;
    }
  }

  /** True when `err` came out of infer() or admit(), whose observers have counted the request already. */
  observed(err: unknown): boolean {
    return typeof err === 'object' && err !== null && this.observedErrors.has(err);
  }

  /**
   * True when the registry holds the model (loaded now or before, or named at start): the only names metrics and
   * observers see. Any other name a request carries is `_unknown`.
   */
  knowsModel(model: string): boolean {
    try {
      this.registry.model(model);
      return true;
    } catch {
      return false;
    }
  }

  /** Metadata of a model (its highest ready version) or of one version. */
  metadata(model: string, version?: string): ModelMetadata {
    const v = this.registry.resolveReady(model, version);
    const config = v.config!;
    const versions = version
      ? [String(v.version)]
      : [...this.registry.model(model).versions.values()].filter((x) => x.state === 'READY').sort((a, b) => a.version - b.version).map((x) => String(x.version));
    return {
      name: config.name,
      versions,
      platform: config.platform,
      inputs: describeTensors(config, 'inputs'),
      outputs: describeTensors(config, 'outputs'),
      parameters: metadataParameters(config, this.features),
    };
  }

  /** The completed configuration a version serves with. */
  config(model: string, version?: string): ModelConfig {
    return this.registry.resolveReady(model, version).config!;
  }

  /**
   * The configs of the versions that could answer a request for `model` (the named version, or every ready
   * version: a traffic policy may send a request that names none to any of them); every loaded model's ready
   * versions when `model` is undefined. Unknown and unready models give none. Cheap: no repository scan.
   */
  readyConfigs(model?: string, version?: string): ModelConfig[] {
    const names = model === undefined ? this.registry.loadedIndex().map((e) => e.name) : [model];
    const out: ModelConfig[] = [];
    for (const name of new Set(names)) {
      try {
        const versions = version ? [this.registry.resolveReady(name, version)] : [...this.registry.model(name).versions.values()];
        for (const v of versions) if (v.state === 'READY' && v.config && !v.retired) out.push(v.config);
      } catch {
        // unknown model or version, or not ready: nothing it could answer with
      }
    }
    return out;
  }

  /** True when the named model (or version) can serve now. Unknown models are not ready. */
  isModelReady(model: string, version?: string): boolean {
    try {
      return this.registry.resolve(model, version).state === 'READY';
    } catch {
      return false;
    }
  }

  isServerReady(strict: boolean): boolean {
    return this.readiness(strict).ready;
  }

  /**
   * Ready when the models the server is meant to serve each have a READY version (strict; see
   * ModelRegistry.readiness) and every dependency requests need works. Otherwise every reason, for the probe's body.
   */
  readiness(strict: boolean): ReadinessReport {
    const models = this.registry.readiness(strict);
    const dependencies = this.readinessChecks.flatMap((c) => {
      const reason = c.problem();
      return reason === undefined ? [] : [{ dependency: c.dependency, reason }];
    });
    const reasons = [...models.reasons, ...dependencies];
    return { ready: reasons.length === 0, reasons };
  }

  /** Scheduler statistics per loaded version of a model (or of all models when `model` is omitted). */
  statistics(model?: string, version?: string): VersionStatistics[] {
    const names = model === undefined ? this.registry.loadedIndex().map((e) => e.name) : [model];
    const out: VersionStatistics[] = [];
    for (const name of new Set(names)) {
      const versions = version === undefined ? [...this.registry.model(name).versions.values()] : [this.registry.resolve(name, version)];
      for (const v of versions) {
        if (v.scheduler && !v.retired) out.push({ name, version: String(v.version), ...v.scheduler.stats.snapshot(), queueDepth: v.scheduler.queueDepth, loadMs: v.loadMs, inFlight: v.scheduler.inFlight, concurrencyLimit: v.scheduler.concurrencyLimit });
      }
    }
    return out;
  }

  /** Every model in the repository and every loaded version, with states. */
  index(): IndexEntry[] {
    return this.registry.index();
  }

  /** The loaded models' versions and states. */
  loadedIndex(): IndexEntry[] {
    return this.registry.loadedIndex();
  }
}
