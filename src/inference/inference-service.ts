/**
 * The data plane, independent of transport: resolve the version, validate, schedule, answer. HTTP, gRPC and
 * in-process callers all come through `infer`; the work is done by the small parts this class holds.
 */
import { mergeStatistics } from './merge-statistics.js';
import type { ModelConfig } from '../config/index.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { FeatureService } from '../features/feature-service.js';
import type { DriftMonitor } from '../drift/drift-monitor.js';
import type { IndexEntry, ModelRegistry } from '../registry/model-registry.js';
import { ModelGuards } from '../resilience/model-guards.js';
import type { TrafficDirector } from '../routing/traffic-director.js';
import type { ModelMetadata } from './model-metadata.js';
import type { InferenceObserver } from './observer.js';
import { SloService } from '../slo/slo-service.js';
import type { InferenceRequest, InferenceResponse } from './types.js';
import { Observers } from './observers.js';
import { RequestPath } from './request-path.js';
import { EarlyRefusals, type Refusal } from './early-refusal.js';
import { ModelQueries, type VersionStatistics } from './model-queries.js';
import { coreChecks, Readiness, type ReadinessCheck, type ReadinessReport } from './server-readiness.js';
import { registryResolver } from './version-resolver.js';
import { stageBuilder } from './stages/build-stages.js';
import { mirrorStage } from './stages/mirror-stage.js';
import { CostTracker } from '../cost/cost-tracker.js';
import { Cascades, type CascadePathReport } from '../cascade/cascades.js';

export type { VersionStatistics, ReadinessCheck, ReadinessReport };
export { UNKNOWN_MODEL } from './observers.js';

export class InferenceService {
  private readonly observers = new Observers();
  private readonly path: RequestPath;
  private readonly refusals: EarlyRefusals;
  private readonly queries: ModelQueries;
  private readonly ready: Readiness;
  /** Breakers and fallbacks of the versions that declare one; listen() to count them. */
  readonly guards = new ModelGuards();
  /** Per-model SLOs: the in-process record (fed as an observer) and the reports of GET /v1/models/{m}/slo. */
  readonly slo: SloService;
  /** CPU time by stage and cost per model, version and path (cost/); the doors add their decode and encode times. */
  readonly cost = new CostTracker();
  /** The repository's cascades (cascade/): a cheap model, else an expensive one, each called through infer(). */
  readonly cascades = new Cascades();

  constructor(
    private readonly registry: ModelRegistry,
    features?: FeatureService,
    audit?: AuditTrail,
    /** Drift monitoring: versions with `drift:` loaded from now on get a drift tap. */
    drift?: DriftMonitor,
  ) {
    // Versions loaded from now on get the stages their configs declare (fallback, features, drift).
    registry.useStages(stageBuilder({ guards: this.guards, features, drift }));
    const knowsModel = (model: string) => this.knowsModel(model);
    this.path = new RequestPath({ observers: this.observers, audit, knowsModel, resolver: registryResolver(registry) });
    // Graph models call their members through this data plane: routing, queues and statistics apply to them.
    registry.useGraphMembers((call) => this.path.member(call));
    this.refusals = new EarlyRefusals(() => this.path.o.resolver, this.observers, registry);
    this.queries = new ModelQueries(registry, features, this.cost);
    this.ready = new Readiness(registry);
    this.slo = new SloService(registry);
    this.addObserver(this.slo);
    this.addObserver(this.cost);
    for (const check of coreChecks(audit, features, () => this.queries.viewsNeeded())) this.addReadinessCheck(check);
  }

  /** Adds a dependency readiness reports on (the audit store and feature stores are added by the constructor). */
  addReadinessCheck(check: ReadinessCheck): void {
    this.ready.add(check);
  }

  /** Adds an observer told about every request's outcome, latency and stages (metrics, SLOs). */
  addObserver(observer: InferenceObserver): void {
    this.observers.add(observer);
  }

  /**
   * Routes requests through a traffic policy (weights, sticky keys, canary); admission asks it too. Versions a
   * shadow or a rollout's paired check mirrors from get a mirror stage that runs the copies here.
   */
  useTraffic(director: TrafficDirector): void {
    this.path.o.traffic = director;
    this.path.o.resolver = director;
    director.mirrors.use((tap) => mirrorStage(tap, (copy, target) => this.path.runShadow(copy, target)));
  }

  /**
   * Runs one request. Takes ownership of the input arrays: their buffers move to a worker thread and are
   * detached here afterwards. (Inferd.infer copies first for library callers.)
   */
  infer(request: InferenceRequest): Promise<InferenceResponse> {
    const cascade = this.cascades.get(request.model);
    return cascade ? cascade.run(request) : this.path.infer(request);
  }

  /** Serves the cascade folders `names` of the repository at `root` (read once; see cascade/cascades.ts). */
  useCascades(root: string, names: readonly string[]): void {
    this.cascades.load(root, names, (r) => this.path.infer(r as InferenceRequest));
  }

  /** Per cascade and path: share of requests, live accuracy from feedback, CPU and cost per 1,000 predictions. */
  cascadeReport(): CascadePathReport[] {
    if (this.cascades.size === 0) return [];
    return this.cascades.report(
      this.cost.report((m, v) => this.isModelReady(m, v)),
      this.cost.pricePerCoreHour,
    );
  }

  /**
   * Refuses a request before its body is read when the version that would answer it (the traffic policy's pick
   * for `routingKey`) cannot take it (queue full, unloading). Unknown models and other problems are left for infer().
   */
  admit(model: string, version?: string, priority?: number, routingKey?: string): void {
    this.refusals.admit(model, version, priority, routingKey);
  }

  /** Tells the observers of a request refused before it reached infer() (see early-refusal.ts). */
  observeRefusal(refusal: Refusal): void {
    this.refusals.observeRefusal(refusal);
  }

  /** True when `err` came out of infer() or admit(), whose observers have counted the request already. */
  observed = (err: unknown): boolean => this.observers.observed(err);

  /** True when the registry holds the model (loaded now or before, or named at start); other names are `_unknown`. */
  knowsModel(model: string): boolean {
    return this.registry.knows(model) || this.cascades.has(model);
  }

  /** Metadata of a model (its highest ready version) or of one version. */
  metadata(model: string, version?: string): ModelMetadata {
    return this.queries.metadata(model, version);
  }

  /** The completed configuration a version serves with. */
  config(model: string, version?: string): ModelConfig {
    return this.queries.config(model, version);
  }

  /** The configs of the versions that could answer a request for `model` (every loaded model's when undefined). */
  readyConfigs(model?: string, version?: string): ModelConfig[] {
    return this.queries.readyConfigs(model, version);
  }

  /** True when the named model (or version) can serve now. Unknown models are not ready. */
  isModelReady(model: string, version?: string): boolean {
    return this.queries.isModelReady(model, version);
  }

  isServerReady = (strict: boolean): boolean => this.readiness(strict).ready;
  /** Ready when every model meant to serve has a READY version (strict) and every dependency works; else why not. */
  readiness = (strict: boolean): ReadinessReport => this.ready.report(strict);
  /**
   * Scheduler statistics per loaded version of a model (or of all models when `model` is omitted); with several
   * processes, summed with the others' latest (usePeerStatistics).
   */
  statistics = (model?: string, version?: string): VersionStatistics[] => {
    const own = this.queries.statistics(model, version);
    if (!this.peerStatistics) return own;
    const wanted = (s: VersionStatistics) =>
      (model === undefined || s.name === model) && (version === undefined || version === '' || s.version === version);
    return mergeStatistics(own, this.peerStatistics().filter(wanted));
  };
  /** This process's own statistics, every loaded version (what it tells the other processes of the server). */
  ownStatistics = (): VersionStatistics[] => this.queries.statistics(undefined, undefined);
  private peerStatistics: (() => readonly VersionStatistics[]) | undefined;
  /** Several processes (`--processes N`): the other processes' latest statistics, added to statistics(). */
  usePeerStatistics(source: () => readonly VersionStatistics[]): void {
    this.peerStatistics = source;
  }
  /** Every model in the repository and every loaded version, with states. */
  index = (): IndexEntry[] => this.registry.index();
  /** The loaded models' versions and states. */
  loadedIndex = (): IndexEntry[] => this.registry.loadedIndex();
}
