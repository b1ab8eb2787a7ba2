/**
 * Repository operations of the control plane (Triton's model repository extension): load and unload on request,
 * allowed in explicit model-control mode.
 */
import { assertModelName, readLoadRequestConfig } from '../config/index.js';
import { UnsupportedError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/model-registry.js';

export type ModelControlMode = 'none' | 'explicit' | 'poll';

export class RepositoryControl {
  constructor(
    private readonly registry: ModelRegistry,
    readonly mode: ModelControlMode,
  ) {}

  /**
   * Loads (or reloads) a model. `configJson` is Triton's ModelConfig as JSON, replacing the model's config file.
   * Resolves once the model's versions are READY; rejects with the reason otherwise.
   */
  async load(name: string, configJson?: string): Promise<void> {
    this.assertExplicit('load');
    // The name and the override's file names become paths under the repository: refuse any that could escape it.
    assertModelName(name);
    const override = configJson === undefined ? undefined : readLoadRequestConfig(configJson, name);
    await this.registry.load(name, override);
  }

  /** Unloads a model; in-flight and queued requests are answered first. */
  async unload(name: string): Promise<void> {
    this.assertExplicit('unload');
    assertModelName(name);
    await this.registry.unload(name);
  }

  private assertExplicit(action: string): void {
    if (this.mode !== 'explicit') {
      throw new UnsupportedError(
        `cannot ${action} models in model-control mode '${this.mode}'; start inferd with --model-control-mode explicit`,
      );
    }
  }
}
