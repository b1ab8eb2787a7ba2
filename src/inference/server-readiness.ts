/**
 * Whether the server should take traffic: the registry's models (see ModelRegistry.readiness) and every
 * dependency requests need (audit store, feature stores, rate store), each with the reason it fails now.
 */
import type { AuditTrail } from '../audit/audit-trail.js';
import type { FeatureService } from '../features/feature-service.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { NotReadyReason } from '../registry/readiness.js';

/** A dependency without which requests fail: `problem()` says why it fails now, or undefined while it works. */
export interface ReadinessCheck {
  /** e.g. 'audit_store', 'rate_store', 'feature_store:online' */
  readonly dependency: string;
  problem(): string | undefined;
  /**
   * True for a dependency the server serves without, in a lesser way (the shared state store: the last known
   * policies are served): its problem is reported under `degraded` and readiness stays true, so a load balancer
   * keeps the replica.
   */
  readonly degrades?: boolean;
}

/** Whether the server should take traffic, and if not, every reason (models not serving, dependencies failing). */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly reasons: readonly NotReadyReason[];
  /** Dependencies failing without making the server unready (present only when there are some). */
  readonly degraded?: readonly NotReadyReason[];
}

/** The dependencies the core holds itself: the audit store, and the feature stores serving versions need (`views`). */
export function coreChecks(
  audit: AuditTrail | undefined,
  features: FeatureService | undefined,
  views: () => Set<string>,
): ReadinessCheck[] {
  return [
    ...(audit ? [{ dependency: 'audit_store', problem: () => audit.readinessProblem() }] : []),
    ...(features ? [{ dependency: 'feature_store', problem: () => features.readinessProblem(views()) }] : []),
  ];
}

export class Readiness {
  private readonly checks: ReadinessCheck[] = [];

  constructor(private readonly registry: ModelRegistry) {}

  add(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  report(strict: boolean): ReadinessReport {
    const models = this.registry.readiness(strict);
    const failing = (degrades: boolean) =>
      this.checks.flatMap((c) => {
        if ((c.degrades ?? false) !== degrades) return [];
        const reason = c.problem();
        return reason === undefined ? [] : [{ dependency: c.dependency, reason }];
      });
    const reasons = [...models.reasons, ...failing(false)];
    const degraded = failing(true);
    return { ready: reasons.length === 0, reasons, ...(degraded.length ? { degraded } : {}) };
  }
}
