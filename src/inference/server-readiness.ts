/**
 * Whether the server should take traffic: the registry's models (see ModelRegistry.readiness) and every
 * dependency requests need (audit store, feature stores, rate store), each with the reason it fails now.
 */
import type { ModelRegistry } from '../registry/model-registry.js';
import type { NotReadyReason } from '../registry/readiness.js';

/** A dependency without which requests fail: `problem()` says why it fails now, or undefined while it works. */
export interface ReadinessCheck {
  /** e.g. 'audit_store', 'rate_store', 'feature_store:online' */
  readonly dependency: string;
  problem(): string | undefined;
}

/** Whether the server should take traffic, and if not, every reason (models not serving, dependencies failing). */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly reasons: readonly NotReadyReason[];
}

export class Readiness {
  private readonly checks: ReadinessCheck[] = [];

  constructor(private readonly registry: ModelRegistry) {}

  add(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  report(strict: boolean): ReadinessReport {
    const models = this.registry.readiness(strict);
    const dependencies = this.checks.flatMap((c) => {
      const reason = c.problem();
      return reason === undefined ? [] : [{ dependency: c.dependency, reason }];
    });
    const reasons = [...models.reasons, ...dependencies];
    return { ready: reasons.length === 0, reasons };
  }
}
