/**
 * What the core says about its models without running a request: metadata, configs, readiness of one model,
 * scheduler statistics. Reads the registry's slots; no repository scan.
 */
import type { ModelConfig } from '../config/index.js';
import type { FeatureService } from '../features/feature-service.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { ModelVersion } from '../registry/model-version.js';
import type { StatisticsSnapshot } from '../scheduler/model-statistics.js';
import type { InlineDecision } from '../scheduler/inline-decision.js';
import { describeTensors, metadataParameters, type ModelMetadata } from './model-metadata.js';

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
  /** How lone requests run: on the main thread or a worker, and why (measured at warm-up). */
  readonly inline?: InlineDecision;
}

export class ModelQueries {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly features: FeatureService | undefined,
  ) {}

  /** The named model, or every loaded model when undefined. */
  private names(model: string | undefined): string[] {
    return model === undefined ? [...new Set(this.registry.loadedIndex().map((e) => e.name))] : [model];
  }

  /** The READY versions of a model (every loaded model's when undefined), or the named one if it is READY. */
  private ready(model: string | undefined, version?: string): ModelVersion[] {
    return this.names(model).flatMap((name) => {
      if (version === undefined || version === '') return this.registry.readyVersions(this.registry.model(name));
      const slot = this.registry.resolve(name, version);
      return slot.state === 'READY' ? [slot.loaded] : [];
    });
  }

  metadata(model: string, version?: string): ModelMetadata {
    const { config, id } = this.registry.resolveReady(model, version);
    return {
      name: config.name,
      versions: version ? [id.label] : this.ready(model).map((v) => v.id.label),
      platform: config.platform,
      inputs: describeTensors(config, 'inputs'),
      outputs: describeTensors(config, 'outputs'),
      parameters: metadataParameters(config, this.features),
    };
  }

  config(model: string, version?: string): ModelConfig {
    return this.registry.resolveReady(model, version).config;
  }

  readyConfigs(model?: string, version?: string): ModelConfig[] {
    return this.names(model).flatMap((name) => {
      try {
        return this.ready(name, version).map((v) => v.config);
      } catch {
        return []; // unknown model or version: nothing it could answer with
      }
    });
  }

  isModelReady(model: string, version?: string): boolean {
    try {
      return this.registry.resolve(model, version).state === 'READY';
    } catch {
      return false;
    }
  }

  statistics(model?: string, version?: string): VersionStatistics[] {
    return this.ready(model, version).map(({ id, scheduler, loadMs }) => ({
      name: id.model,
      version: id.label,
      ...scheduler.stats.snapshot(),
      queueDepth: scheduler.queueDepth,
      loadMs,
      inFlight: scheduler.inFlight,
      concurrencyLimit: scheduler.concurrencyLimit,
      inline: scheduler.inline,
    }));
  }

  /** Feature views some serving version reads with no fallback of its own for a feature failure. */
  viewsNeeded(): Set<string> {
    const views = new Set<string>();
    for (const { config } of this.ready(undefined)) {
      if (!config.features || config.fallback?.when.includes('features')) continue;
      for (const c of config.features.columns) views.add(c.view);
    }
    return views;
  }
}
