/**
 * Where rate-limit buckets live (the `limits.rate_store*` settings): in memory (each replica limits on its own) or
 * in Redis (replicas sharing a key prefix share every bucket). README "Security" describes them.
 */
import { z } from 'zod';
import type { CircuitBreakerSettings } from '../lib/circuit-breaker.js';

const rateRedisSchema = z.strictObject({
  /** Default: the server's redis_url. */
  url: z.string().min(1).optional(),
  /** Every bucket key starts with it; replicas that share a limit share the prefix. */
  key_prefix: z.string().default('inferd:ratelimit:'),
  /** Longest wait for Redis per request, in ms, before the request is decided by on_unavailable. */
  command_timeout_ms: z.number().int().min(1).default(50),
  /** When Redis cannot answer: open lets requests through unlimited, closed refuses them (503). */
  on_unavailable: z.enum(['open', 'closed']).default('open'),
  breaker: z
    .strictObject({
      failure_threshold: z.number().int().min(1).default(3),
      open_ms: z.number().int().min(1).default(1000),
    })
    .default({ failure_threshold: 3, open_ms: 1000 }),
});

/** Fields added to the `limits:` section. */
export const rateStoreConfigFields = {
  /** memory (default): buckets per process; redis: buckets shared by every replica on the same Redis and prefix. */
  rate_store: z.enum(['memory', 'redis']).default('memory'),
  rate_redis: rateRedisSchema.prefault({}),
};

export type RateStoreConfig =
  | { readonly kind: 'memory' }
  | {
      readonly kind: 'redis';
      readonly url: string;
      readonly keyPrefix: string;
      readonly commandTimeoutMs: number;
      readonly onUnavailable: 'open' | 'closed';
      readonly breaker: CircuitBreakerSettings;
    };

interface RateStoreFields {
  readonly rate_store: 'memory' | 'redis';
  readonly rate_redis: z.infer<typeof rateRedisSchema>;
}

/** The frozen rate store config; `redisUrl` is the server-wide default URL. */
export function toRateStoreConfig(c: RateStoreFields, redisUrl: string): RateStoreConfig {
  if (c.rate_store === 'memory') return Object.freeze({ kind: 'memory' });
  const r = c.rate_redis;
  return Object.freeze({
    kind: 'redis',
    url: r.url ?? redisUrl,
    keyPrefix: r.key_prefix,
    commandTimeoutMs: r.command_timeout_ms,
    onUnavailable: r.on_unavailable,
    breaker: Object.freeze({ failureThreshold: r.breaker.failure_threshold, openMs: r.breaker.open_ms }),
  });
}
