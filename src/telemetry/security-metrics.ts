/**
 * Security metrics: requests refused for credentials, scope or rate. Labels carry a key's configured name or an
 * issuer's name (the key class), never a raw key or token.
 */
import { Counter, Registry } from 'prom-client';

export interface SecurityMetrics {
  readonly registry: Registry;
  /** Requests refused with 429 / RESOURCE_EXHAUSTED; `limit` is `key` (the caller's own) or `model`. */
  readonly rateLimited: Counter<'key_class' | 'limit'>;
  /** Requests refused by authentication (`unauthenticated`) or authorization (`permission_denied`). */
  readonly authRefused: Counter<'reason'>;
}

/** Declares the security metrics on a registry of their own. */
export function createSecurityMetrics(): SecurityMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    rateLimited: new Counter({ name: 'inferd_rate_limited_total', help: 'Requests refused by a rate limit, by key class (the API key name or JWT issuer) and limit (key or model).', labelNames: ['key_class', 'limit'], registers }),
    authRefused: new Counter({ name: 'inferd_auth_refused_total', help: 'Requests refused: reason unauthenticated (no valid credentials) or permission_denied (missing scope).', labelNames: ['reason'], registers }),
  };
}

/** The /metrics registry with the security metrics added. */
export function withSecurityMetrics(registry: Registry, security: SecurityMetrics): Registry {
  return Registry.merge([registry, security.registry]);
}
