/**
 * The exact response cache of a model, declared under `cache:` in its `config.yaml` (off unless declared):
 *
 * ```yaml
 * cache:
 *   max_bytes: 67108864          # answers kept per version, by their bytes (LRU beyond it; default 64 MiB)
 *   ttl_ms: 60000                # an answer is served at most this long after it was computed (default 60 s)
 *   bypass: auto                 # auto (default): skipped while the model computes faster than a lookup; never
 *   redis:                       # optional shared tier for replicas
 *     url: redis://127.0.0.1:6379
 *     key_prefix: "inferd:cache:"  # then <model>:<version>:<load fingerprint>:<key>
 *     timeout_ms: 20             # a slower Redis answer counts as a miss
 * ```
 */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

export interface ResponseCacheRedisConfig {
  readonly url: string;
  readonly keyPrefix: string;
  readonly timeoutMs: number;
}

export interface ResponseCacheConfig {
  readonly maxBytes: number;
  readonly ttlMs: number;
  /** auto: looked up only while a lookup costs less than computing; never: always looked up. */
  readonly bypass: 'auto' | 'never';
  readonly redis?: ResponseCacheRedisConfig;
}

export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CACHE_TTL_MS = 60_000;

const cacheSchema = z.strictObject({
  enabled: z.boolean().optional(),
  max_bytes: z.number().int().min(1024).default(DEFAULT_CACHE_MAX_BYTES),
  ttl_ms: z.number().int().min(1).default(DEFAULT_CACHE_TTL_MS),
  bypass: z.enum(['auto', 'never']).default('auto'),
  redis: z
    .strictObject({
      url: z.string().min(1),
      key_prefix: z.string().default('inferd:cache:'),
      timeout_ms: z.number().int().min(1).max(10_000).default(20),
    })
    .optional(),
});

/** Parses `cache:` (`true` takes every default, `false` or `enabled: false` turns it off). */
export function parseCacheConfig(raw: unknown, file: string): ResponseCacheConfig | undefined {
  if (raw === false || raw === null) return undefined;
  const parsed = cacheSchema.safeParse(raw === true ? {} : raw);
  if (!parsed.success)
    throw new ConfigError(`${file}: invalid cache (see docs/response-cache.md):\n${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  if (c.enabled === false) return undefined;
  return {
    maxBytes: c.max_bytes,
    ttlMs: c.ttl_ms,
    bypass: c.bypass,
    ...(c.redis ? { redis: { url: c.redis.url, keyPrefix: c.redis.key_prefix, timeoutMs: c.redis.timeout_ms } } : {}),
  };
}
