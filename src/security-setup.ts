/**
 * Builds the security pieces the server wires in: the rate store limits.rate_store names (in memory, or in Redis
 * behind a circuit breaker) and, with TLS on, keeps the HTTPS listeners' certificate in step with the files.
 */
import type { Server as TlsServer } from 'node:tls';
import type { RateStoreConfig } from './config/index.js';
import { CircuitBreaker, type BreakerState } from './lib/circuit-breaker.js';
import { MemoryRateStore, type RateStore } from './security/rate-store.js';
import { secureContextOptions, type TlsMaterial } from './security/tls-material.js';
import type { Logger } from './telemetry/logger.js';
import type { SecurityMetrics } from './telemetry/security-metrics.js';

const BREAKER_GAUGE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** The configured rate store (not yet started). The Redis client is loaded only when the config names Redis. */
export async function createRateStore(
  config: RateStoreConfig,
  metrics: SecurityMetrics,
  logger: Logger,
): Promise<RateStore> {
  if (config.kind === 'memory') {
    metrics.rateStoreUp.set(1); // the in-memory store is part of the process: always up
    return new MemoryRateStore();
  }
  const breaker = new CircuitBreaker(
    config.breaker,
    () => performance.now(),
    (state) => metrics.rateStoreBreakerState.set(BREAKER_GAUGE[state]),
  );
  metrics.rateStoreBreakerState.set(0);
  logger.info(
    { rate_store: 'redis', key_prefix: config.keyPrefix, on_unavailable: config.onUnavailable },
    'rate limits shared in Redis',
  );
  const { RedisRateStore } = await import('./security/redis-rate-store.js');
  return new RedisRateStore({ config, breaker, metrics, logger });
}

/**
 * Gives every HTTPS listener each new certificate (`setSecureContext`: new connections get it, open ones keep
 * theirs). The gRPC credentials follow the same material themselves (transport/grpc/grpc-tls.ts).
 */
export function followCertificates(material: TlsMaterial, servers: ReadonlyArray<TlsServer | undefined>): () => void {
  return material.onChange((files) => {
    for (const server of servers) server?.setSecureContext(secureContextOptions(files));
  });
}
