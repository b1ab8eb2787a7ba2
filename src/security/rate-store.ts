/**
 * Where the token buckets live. `MemoryRateStore`: in this process (each replica limits on its own);
 * `RedisRateStore` (redis-rate-store.ts): in Redis, shared by every replica using the same key prefix.
 */
import type { RateLimit } from '../config/index.js';
import { RateLimiter } from './rate-limiter.js';

/** One rate check: which bucket, its limit, and the labels a metric may carry (never the bucket key). */
export interface RateCheck {
  /** The bucket key: `key:<name>`, `jwt:<issuer>:<sub>` or `model:<model>`. */
  readonly bucket: string;
  readonly limit: RateLimit;
  /** The caller's key class (API key name or JWT issuer name). */
  readonly keyClass: string;
  /** Whose limit: the caller's own or the model's. */
  readonly kind: 'key' | 'model';
}

export interface RateStore {
  /**
   * Takes a token from the check's bucket: 0 when allowed, otherwise whole seconds until one is there. A store that
   * cannot decide either allows (0) or throws UNAVAILABLE, as configured.
   */
  take(check: RateCheck): number | Promise<number>;
  /** Why rate-limited requests are refused now because the store is unreachable, or undefined (readiness). */
  readinessProblem?(): string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Buckets in this process's memory (the default). */
export class MemoryRateStore implements RateStore {
  private readonly limiter: RateLimiter;

  /** @param now monotonic milliseconds (tests inject a clock). */
  constructor(now?: () => number) {
    this.limiter = new RateLimiter({ now });
  }

  take(check: RateCheck): number {
    return this.limiter.take(check.bucket, check.limit);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
