/**
 * The inference core as a library: a model repository, its loaded versions and the inference service,
 * with no network. The HTTP server (main.ts) wraps exactly this.
 *
 * @example
 * const inferd = await Inferd.create({ modelRepository: './models' });
 * const res = await inferd.infer({ model: 'digits', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Float32Array(64) }] });
 * await inferd.stop();
 */
import { FileModelRepository } from './repository/model-repository.js';
import { ModelRegistry } from './registry/model-registry.js';
import { RepositoryPoller } from './registry/repository-poller.js';
import { InferenceService } from './inference/inference-service.js';
import { ModelControl, type ModelControlMode } from './inference/model-control.js';
import type { InferenceRequest, InferenceResponse } from './inference/types.js';
import { silentLogger, type Logger } from './telemetry/logger.js';

export interface InferdOptions {
  /** Folder holding `<model>/<version>/` trees. */
  readonly modelRepository: string;
  readonly logger?: Logger;
  /** none (default): load everything at start; explicit: load on request; poll: follow the repository's changes. */
  readonly modelControlMode?: ModelControlMode;
  /** Explicit mode: models to load at start ('*' for all). */
  readonly loadModels?: readonly string[];
  /** Poll mode: seconds between repository scans (default 15). */
  readonly repositoryPollSecs?: number;
}

export class Inferd {
  private constructor(
    readonly service: InferenceService,
    readonly control: ModelControl,
    private readonly registry: ModelRegistry,
    private readonly poller: RepositoryPoller | undefined,
  ) {}

  /** Loads the models the mode calls for. Models that fail are reported in `service.index()`, not thrown. */
  static async create(options: InferdOptions): Promise<Inferd> {
    const logger = options.logger ?? silentLogger();
    const mode = options.modelControlMode ?? 'none';
    const registry = new ModelRegistry(new FileModelRepository(options.modelRepository), logger);
    const initial = mode === 'explicit' && !options.loadModels?.includes('*') ? (options.loadModels ?? []) : undefined;
    await registry.loadInitial(initial);
    const poller = mode === 'poll' ? new RepositoryPoller(registry, (options.repositoryPollSecs ?? 15) * 1000, logger) : undefined;
    poller?.start();
    return new Inferd(new InferenceService(registry), new ModelControl(registry, mode), registry, poller);
  }

  /** Runs one request. The caller's input arrays are copied, so they stay usable afterwards. */
  infer(request: InferenceRequest): Promise<InferenceResponse> {
    const inputs = request.inputs.map((t) => ({ ...t, data: t.data.slice() }));
    return this.service.infer({ ...request, inputs });
  }

  /** Poll mode: rescan the repository now (also runs every repositoryPollSecs). */
  async pollRepository(): Promise<void> {
    await this.poller?.scan();
  }

  /** Answers everything already accepted, then stops every model's workers. */
  async stop(): Promise<void> {
    await this.poller?.stop();
    await this.registry.stop();
  }
}
