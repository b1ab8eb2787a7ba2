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
import { describeTensors, type ModelMetadata } from './model-metadata.js';
import { planPostProcessing } from './post-process.js';
import type { StatisticsSnapshot } from '../scheduler/model-statistics.js';
import type { InferenceRequest, InferenceResponse } from './types.js';
import { outcomeOf, type InferenceObserver, type Outcome, type Stage } from './observer.js';

export interface VersionStatistics extends StatisticsSnapshot {
  readonly name: string;
  readonly version: string;
  /** Requests waiting now. */
  readonly queueDepth: number;
  /** How long loading the version took. */
  readonly loadMs?: number;
}
import { prepareInputs, schedulingParameters, selectOutputs } from './validate-request.js';

export class InferenceService {
  private readonly observers: InferenceObserver[] = [];

  constructor(
    private readonly registry: ModelRegistry,
    private readonly features?: FeatureService,
  ) {}

  /** Adds an observer told about every request's outcome, latency and stages (metrics, SLOs). */
  addObserver(observer: InferenceObserver): void {
    this.observers.push(observer);
  }

  /**
   * Runs one request. Takes ownership of the input arrays: their buffers move to a worker thread and are
   * detached here afterwards. (Inferd.infer copies first for library callers.)
   */
  async infer(request: InferenceRequest): Promise<InferenceResponse> {
    const started = performance.now();
    for (const o of this.observers) o.started?.();
    const stages: Partial<Record<Stage, number>> = {};
    let version = '';
    let batchRows: number | undefined;
    const observe = (outcome: Outcome) => {
      const observation = { model: request.model, version, protocol: request.protocol ?? 'library', outcome, seconds: (performance.now() - started) / 1000, stages, batchRows };
      for (const o of this.observers) o.observe(observation);
    };
    try {
      const response = await this.run(request, stages, (v, rows) => {
        version = v;
        batchRows = rows;
      });
      version = response.version;
      observe('success');
      return response;
    } catch (err) {
      observe(outcomeOf(err));
      throw err;
    }
  }

  /** infer() without the bookkeeping; `stages` collects stage times, `served` learns the version and batch. */
  private async run(request: InferenceRequest, stages: Partial<Record<Stage, number>>, served: (version: string, batchRows?: number) => void): Promise<InferenceResponse> {
    const version = this.registry.resolveReady(request.model, request.version);
    const config = version.config!;
    served(String(version.version));
    let featureReport;
    if (config.features) {
      const t = performance.now();
      ({ request, parameters: featureReport } = await enrichRequest(config, request, this.features));
      stages.features = (performance.now() - t) / 1000;
    }
    request = assembleFeatureColumns(config, request);
    const { inputs, rows } = prepareInputs(config, request);
    const post = planPostProcessing(config, request);
    const outputs = selectOutputs(config, post.request);
    const result = await version.scheduler!.submit({ inputs, outputs, rows, ...schedulingParameters(config, request.parameters) });
    stages.queue = result.queueNs / 1e9;
    stages.compute = result.computeNs / 1e9;
    served(String(version.version), result.batchRows);
    const t = performance.now();
    const ordered = outputs.map((name) => result.outputs.find((o) => o.name === name)!);
    const finished = post.finish(ordered);
    stages.postprocess = (performance.now() - t) / 1000;
    return { model: config.name, version: String(version.version), id: request.id, outputs: finished, parameters: featureReport };
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
  admit(model: string, version?: string): void {
    let scheduler;
    try {
      scheduler = this.registry.resolveReady(model, version).scheduler!;
    } catch {
      return;
    }
    const refused = scheduler.admissionError();
    if (refused) {
      scheduler.recordRejection();
      const observation = { model, version: version ?? '', protocol: 'http', outcome: 'rejected' as const, seconds: 0, stages: {} };
      for (const o of this.observers) o.observe(observation);
      throw refused;
    }
  }

  /** Metadata of a model (its highest ready version) or of one version. */
  metadata(model: string, version?: string): ModelMetadata {
    const v = this.registry.resolveReady(model, version);
    const config = v.config!;
    const versions = version
      ? [String(v.version)]
      : [...this.registry.model(model).versions.values()].filter((x) => x.state === 'READY').map((x) => String(x.version));
    return {
      name: config.name,
      versions,
      platform: config.platform,
      inputs: describeTensors(config, 'inputs'),
      outputs: describeTensors(config, 'outputs'),
      parameters: Object.keys(config.parameters).length ? config.parameters : undefined,
    };
  }

  /** The completed configuration a version serves with. */
  config(model: string, version?: string): ModelConfig {
    return this.registry.resolveReady(model, version).config!;
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
    return this.registry.isReady(strict);
  }

  /** Scheduler statistics per loaded version of a model (or of all models when `model` is omitted). */
  statistics(model?: string, version?: string): VersionStatistics[] {
    const names = model === undefined ? this.registry.loadedIndex().map((e) => e.name) : [model];
    const out: VersionStatistics[] = [];
    for (const name of new Set(names)) {
      const versions = version === undefined ? [...this.registry.model(name).versions.values()] : [this.registry.resolve(name, version)];
      for (const v of versions) {
        if (v.scheduler && !v.retired) out.push({ name, version: String(v.version), ...v.scheduler.stats.snapshot(), queueDepth: v.scheduler.queueDepth, loadMs: v.loadMs });
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
