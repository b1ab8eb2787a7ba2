/** The shared RateStore cases against the machine's Redis, under a key prefix of this run (deleted afterwards). */
import { RedisRateStore } from '../../src/security/redis-rate-store.js';
import { rateStoreCases } from '../../src/security/rate-store.case.test.js';
import { createSecurityMetrics } from '../../src/telemetry/security-metrics.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { deleteKeys, uniqueNamespace } from '../features/redis-target.js';
import { SHARED_REDIS_URL, sharedRedisSkip } from './rate-servers.js';

if (!(await sharedRedisSkip())) {
  rateStoreCases('redis', async () => {
    const keyPrefix = uniqueNamespace('prefix');
    const store = new RedisRateStore({
      config: {
        kind: 'redis',
        url: SHARED_REDIS_URL,
        keyPrefix,
        commandTimeoutMs: 1000,
        onUnavailable: 'closed',
        breaker: { failureThreshold: 5, openMs: 1000 },
      },
      // Always asks Redis: the cases are about the buckets, not about giving up on an unreachable store.
      breaker: { allow: () => true, success: () => {}, failure: () => {} },
      metrics: createSecurityMetrics(),
      logger: silentLogger(),
    });
    return {
      store,
      cleanup: async () => (await store.stop(), void (await deleteKeys(`${keyPrefix}*`, SHARED_REDIS_URL))),
    };
  });
}
