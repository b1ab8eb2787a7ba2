/**
 * The stages a version's config declares, in the order a request passes them: the fallback and breaker
 * (outermost), feature enrichment, the response cache, then around `scheduler.submit` the drift tap. A plain model gets none of these.
 * What routing gives a version at run time (a shadow's mirror, a rollout's canary window) is attached, not built.
 */
import type { FeatureService } from '../../features/feature-service.js';
import type { DriftMonitor } from '../../drift/drift-monitor.js';
import type { StageBuilder, VersionStage } from '../../registry/model-version.js';
import type { ModelGuards } from '../../resilience/model-guards.js';
import { driftStage } from './drift-stage.js';
import { featureStage } from './feature-stage.js';
import { guardStage } from './guard-stage.js';
import { cacheStage } from './cache-stage.js';

export interface StageDependencies {
  readonly guards: ModelGuards;
  readonly features: FeatureService | undefined;
  /** Drift monitoring, when the server runs it (versions with `drift:` get a tap only then). */
  readonly drift?: DriftMonitor | undefined;
}

export function stageBuilder(deps: StageDependencies): StageBuilder {
  return (id, config, fingerprint = '') => {
    const stages: Array<VersionStage | undefined> = [
      guardStage(config, id.label, deps.guards),
      config.features ? featureStage(config, deps.features) : undefined,
      cacheStage(config, id, fingerprint),
      deps.drift && driftStage(config, id.label, deps.drift),
    ];
    return stages.filter((s): s is VersionStage => s !== undefined);
  };
}
