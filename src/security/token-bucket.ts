/**
 * Token-bucket arithmetic, pure: a bucket's state, its limit and the time in; the decision and the new state out.
 * A bucket holds up to `burst` tokens and gains `requestsPerSecond` per second; a request takes one.
 */
import type { RateLimit } from '../config/index.js';

export interface BucketState {
  readonly tokens: number;
  /** When `tokens` was computed, in ms (the injected clock's unit). */
  readonly atMs: number;
}

export interface BucketDecision {
  readonly allowed: boolean;
  readonly state: BucketState;
  /** When refused: whole seconds until a token is there (at least 1), for Retry-After. */
  readonly retryAfterSeconds: number;
}

/** A full bucket at `nowMs`. */
export function fullBucket(limit: RateLimit, nowMs: number): BucketState {
  return { tokens: limit.burst, atMs: nowMs };
}

/** Refills `state` up to `nowMs` and takes one token if there is one. A clock going backwards adds nothing. */
export function takeToken(state: BucketState, limit: RateLimit, nowMs: number): BucketDecision {
  const elapsedMs = Math.max(0, nowMs - state.atMs);
  const tokens = Math.min(limit.burst, state.tokens + (elapsedMs / 1000) * limit.requestsPerSecond);
  if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, atMs: nowMs }, retryAfterSeconds: 0 };
  const waitSeconds = (1 - tokens) / limit.requestsPerSecond;
  return { allowed: false, state: { tokens, atMs: nowMs }, retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)) };
}
