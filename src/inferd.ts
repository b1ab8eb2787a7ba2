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
import { InferenceService } from './inference/inference-service.js';
import type { InferenceRequest, InferenceResponse } from './inference/types.js';
import { silentLogger, type Logger } from './telemetry/logger.js';

export interface InferdOptions {
  /** Folder holding `<model>/<version>/` trees. */
  readonly modelRepository: string;
  readonly logger?: Logger;
}

export class Inferd {
  private constructor(
    readonly service: InferenceService,
    private readonly registry: ModelRegistry,
  ) {}

  /** Loads every model in the repository. Models that fail are reported in `service.index()`, not thrown. */
  static async create(options: InferdOptions): Promise<Inferd> {
    const repository = new FileModelRepository(options.modelRepository);
    const registry = new ModelRegistry(repository, options.logger ?? silentLogger());
    await registry.loadAll();
    return new Inferd(new InferenceService(registry), registry);
  }

  /** Runs one request. The caller's input arrays are copied, so they stay usable afterwards. */
  infer(request: InferenceRequest): Promise<InferenceResponse> {
    const inputs = request.inputs.map((t) => ({ ...t, data: t.data.slice() }));
    return this.service.infer({ ...request, inputs });
  }

  /** Answers everything already accepted, then stops every model's workers. */
  stop(): Promise<void> {
    return this.registry.stop();
  }
}
