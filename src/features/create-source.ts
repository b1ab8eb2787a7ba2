/** Builds the store a features.yaml `stores:` entry describes. */
import type { StoreConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import { FeastFeatureSource } from './feast/feast-source.js';
import type { FeatureSource } from './feature-source.js';
import { RedisFeatureSource } from './redis/redis-source.js';
import { SqliteFeatureSource } from './sqlite/sqlite-source.js';

export function createFeatureSource(config: StoreConfig, logger: Logger): FeatureSource {
  switch (config.kind) {
    case 'sqlite':
      return new SqliteFeatureSource(config.name, config.path);
    case 'redis':
      return new RedisFeatureSource({ ...config, logger });
    case 'feast':
      return new FeastFeatureSource({ ...config, logger });
  }
}
