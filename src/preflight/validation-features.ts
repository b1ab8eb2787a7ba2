/**
 * The feature layer a feature-backed model needs to answer (its `features:` mapping names views): opened from the
 * features config as the server opens it (`features.yaml` in the model repository by default), so reference
 * requests run the same enrichment code. Reference requests that carry the model's whole input skip the lookups.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readFeaturesConfig } from '../config/index.js';
import { FeatureService } from '../features/feature-service.js';
import type { Logger } from '../telemetry/logger.js';
import { createFeatureMetrics } from '../telemetry/metrics.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Opens the feature layer for a model with a `features:` mapping, or resolves undefined when there is no features
 * config (the model's reference requests must then carry its whole input). Throws when the config is broken.
 */
export async function openValidationFeatures(
  repositoryDir: string,
  configPath: string | undefined,
  logger: Logger,
): Promise<FeatureService | undefined> {
  const path = configPath ?? join(repositoryDir, 'features.yaml');
  if (!existsSync(path)) return undefined;
  const features = new FeatureService({
    config: readFeaturesConfig(path, DEFAULT_REDIS_URL),
    logger,
    metrics: createFeatureMetrics(),
  });
  await features.start();
  await features.seedEmptyViews();
  return features;
}
