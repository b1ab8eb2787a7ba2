/**
 * Triton's model repository extension: load and unload on request, allowed in explicit model-control mode.
 */
import { assertModelName, readLoadRequestConfig } from '../config/index.js';
import { InvalidArgumentError, UnsupportedError } from '../errors/index.js';
import type { ModelRegistry } from '../registry/model-registry.js';

export type ModelControlMode = 'none' | 'explicit' | 'poll';

/**
 * Refuses load parameters other than `config`. Triton's `file:<version>/<name>` parameters carry model files in
 * the request; inferd loads only what is in its repository, so it says so instead of loading something else.
 */
export function assertLoadParameters(names: readonly string[]): void {
  const file = names.find((n) => n.startsWith('file:'));
  if (file !== undefined) {
    throw new InvalidArgumentError(`load parameter '${shownName(file)}' is not supported: inferd does not take model files in a load request; copy the files into the model repository, then load the model by name`);
  }
  const other = names.find((n) => n !== 'config');
  if (other !== undefined) throw new InvalidArgumentError(`unknown load parameter '${shownName(other)}'; the only one inferd takes is 'config' (the model config as JSON)`);
}

function shownName(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}...` : name;
}

export class ModelControl {
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
      throw new UnsupportedError(`cannot ${action} models in model-control mode '${this.mode}'; start inferd with --model-control-mode explicit`);
    }
  }
}
