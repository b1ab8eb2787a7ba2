/**
 * In-memory token buckets keyed by caller or model, on an injected clock. The map is bounded: past `maxBuckets`
 * the least recently used bucket is forgotten (it comes back full, which errs towards letting a request through).
 */
import type { RateLimit } from '../config/index.js';
import { fullBucket, takeToken, type BucketState } from './token-bucket.js';

export interface RateLimiterOptions {
  /** Milliseconds, monotonic (default performance.now). */
  readonly now?: (() => number) | undefined;
  readonly maxBuckets?: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, BucketState>();
  private readonly now: () => number;
  private readonly maxBuckets: number;

  constructor(options: RateLimiterOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.maxBuckets = options.maxBuckets ?? 100_000;
  }

  /** Takes a token from `key`'s bucket: 0 when allowed, otherwise the seconds to wait. */
  take(key: string, limit: RateLimit): number {
    const now = this.now();
    const decision = takeToken(this.buckets.get(key) ?? fullBucket(limit, now), limit, now);
    this.buckets.delete(key); // re-insert: Map order is the LRU order
    this.buckets.set(key, decision.state);
    if (this.buckets.size > this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
    return decision.allowed ? 0 : decision.retryAfterSeconds;
  }
}
