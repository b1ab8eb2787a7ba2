/**
 * The data plane, independent of transport: resolve the version, validate, schedule, answer.
 * HTTP, gRPC and in-process callers all come through `infer`.
 */
import type { ModelConfig } from '../config/index.js';
import type { IndexEntry, ModelRegistry } from '../registry/model-registry.js';
import { assembleFeatureColumns } from './feature-columns.js';
import { describeTensors, type ModelMetadata } from './model-metadata.js';
import { planPostProcessing } from './post-process.js';
import type { StatisticsSnapshot } from '../scheduler/model-statistics.js';
import type { InferenceRequest, InferenceResponse } from './types.js';

export interface VersionStatistics extends StatisticsSnapshot {
  readonly name: string;
  readonly version: string;
  /** Requests waiting now. */
  readonly queueDepth: number;
}
import { prepareInputs, schedulingParameters, selectOutputs } from './validate-request.js';

export class InferenceService {
  constructor(private readonly registry: ModelRegistry) {}

  /**
   * Runs one request. Takes ownership of the input arrays: their buffers move to a worker thread and are
   * detached here afterwards. (Inferd.infer copies first for library callers.)
   */
  async infer(request: InferenceRequest): Promise<InferenceResponse> {
    const version = this.registry.resolveReady(request.model, request.version);
    const config = version.config!;
    request = assembleFeatureColumns(config, request);
    const { inputs, rows } = prepareInputs(config, request);
    const post = planPostProcessing(config, request);
    const outputs = selectOutputs(config, post.request);
    const result = await version.scheduler!.submit({ inputs, outputs, rows, ...schedulingParameters(config, request.parameters) });
    const ordered = outputs.map((name) => result.outputs.find((t) => t.name === name)!);
    return { model: config.name, version: String(version.version), id: request.id, outputs: post.finish(ordered) };
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
        if (v.scheduler && !v.retired) out.push({ name, version: String(v.version), ...v.scheduler.stats.snapshot(), queueDepth: v.scheduler.queueDepth });
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
