/**
 * The domain types the control plane takes and returns, named here so the doors (src/transport) translate them
 * to and from their wire formats without reaching into the domain folders.
 */
export type { IndexEntry } from '../registry/model-registry.js';
export type { OperatorAction } from '../routing/canary-controller.js';
export type { Rollout } from '../routing/rollout.js';
export type { CheckThresholds } from '../routing/rollout-spec.js';
export type { ShadowTotals } from '../routing/shadow-mirror.js';
export type { TrafficView, VersionTraffic } from '../routing/traffic-manager.js';
export type { CheckResult } from '../routing/verdict.js';
export type { RoutingEvent } from '../routing/event-log.js';
export type { FeedbackResult } from '../quality/feedback-service.js';
export type { QualityReport } from '../quality/quality-service.js';
export type { VersionQuality } from '../quality/quality-report.js';
export type { DriftEvent } from '../drift/drift-events.js';
export type { VersionDrift } from '../drift/drift-version.js';
export type { FeatureDrift, WindowReport } from '../drift/drift-window.js';
export type { AuditQuery, StoredPrediction } from '../audit/audit-record.js';
export type { WriteResult } from '../features/types.js';
export type { ModelControlMode } from './repository-control.js';

import type { OperatorAction } from '../routing/canary-controller.js';

/** The decisions an operator may take on a rollout (POST .../rollouts/{id}/{action}). */
export const OPERATOR_ACTIONS: readonly OperatorAction[] = ['pause', 'resume', 'promote', 'abort'];
