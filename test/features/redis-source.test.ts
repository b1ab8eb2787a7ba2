/** The shared FeatureSource cases against the real Redis, in inferd's layout and in Feast's. */
import { featureSourceCases } from '../../src/features/feature-source.case.test.js';
import { FeastFeatureSource } from '../../src/features/feast/feast-source.js';
import { RedisFeatureSource } from '../../src/features/redis/redis-source.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { deleteKeys, redisSkip, REDIS_URL, uniqueNamespace } from './redis-target.js';

const skip = await redisSkip();

if (!skip) {
  featureSourceCases('redis (inferd layout)', async () => {
    const keyPrefix = uniqueNamespace('prefix');
    const source = new RedisFeatureSource({
      name: 'redis',
      url: REDIS_URL,
      keyPrefix,
      commandTimeoutMs: 1000,
      logger: silentLogger(),
    });
    await source.start();
    return { source, cleanup: async () => (await deleteKeys(`${keyPrefix}*`), await source.stop()) };
  });

  for (const version of [2, 3] as const) {
    featureSourceCases(`feast (Redis layout, entity key v${version})`, async () => {
      const project = uniqueNamespace('project');
      const source = new FeastFeatureSource({
        name: 'feast',
        url: REDIS_URL,
        project,
        entityKeySerializationVersion: version,
        commandTimeoutMs: 1000,
        logger: silentLogger(),
      });
      await source.start();
      return { source, cleanup: async () => (await deleteKeys(`*${project}`), await source.stop()) };
    });
  }
}
