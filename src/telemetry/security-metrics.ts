/**
 * Security metrics: requests refused for credentials, scope or rate. Labels carry a key's configured name or an
 * issuer's name (the key class), never a raw key or token.
 */
import { Counter, Gauge } from 'prom-client';
import { metricGroup, type MetricGroup } from './metric-group.js';

export interface SecurityMetrics extends MetricGroup {
  /** Requests refused with 429 / RESOURCE_EXHAUSTED; `limit` is `key` (the caller's own) or `model`. */
  readonly rateLimited: Counter<'key_class' | 'limit'>;
  /** Requests refused by authentication (`unauthenticated`) or authorization (`permission_denied`). */
  readonly authRefused: Counter<'reason'>;
  /** Rate checks decided without the shared (Redis) store, by key class, limit and decision (allowed or refused). */
  readonly rateStoreUnavailable: Counter<'key_class' | 'limit' | 'decision'>;
  /** The rate store: 1 answering, 0 not (Redis: the last rate check; the in-memory store is always 1). */
  readonly rateStoreUp: Gauge;
  /** The shared rate store's circuit breaker: 0 closed, 1 half-open, 2 open. */
  readonly rateStoreBreakerState: Gauge;
}

/** Declares the security metrics on a registry of their own. */
export function createSecurityMetrics(): SecurityMetrics {
  return metricGroup((registers) => ({
    rateLimited: new Counter({
      name: 'inferd_rate_limited_total',
      help: 'Requests refused by a rate limit, by key class (the API key name or JWT issuer) and limit (key or model).',
      labelNames: ['key_class', 'limit'],
      registers,
    }),
    authRefused: new Counter({
      name: 'inferd_auth_refused_total',
      help: 'Requests refused: reason unauthenticated (no valid credentials) or permission_denied (missing scope).',
      labelNames: ['reason'],
      registers,
    }),
    rateStoreUnavailable: new Counter({
      name: 'inferd_rate_store_unavailable_total',
      help: 'Rate checks decided without the shared rate store (Redis down, slow or breaker open), by key class, limit (key or model) and decision (allowed: fail open; refused: fail closed).',
      labelNames: ['key_class', 'limit', 'decision'],
      registers,
    }),
    rateStoreUp: new Gauge({
      name: 'inferd_rate_store_up',
      help: 'Whether the rate store answered the last rate check: 1 yes, 0 no (the in-memory store is always 1).',
      registers,
    }),
    rateStoreBreakerState: new Gauge({
      name: 'inferd_rate_store_breaker_state',
      help: 'Circuit breaker of the shared rate store: 0 closed, 1 half-open, 2 open.',
      registers,
    }),
  }));
}
