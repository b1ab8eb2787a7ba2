/**
 * SLO arithmetic shared by the in-process tracker (GET /v1/models/{m}/slo) and the Prometheus rules generator:
 * SLIs, error budgets, burn rates and the multiwindow, multi-burn-rate alert policy of Google's SRE workbook
 * ("Alerting on SLOs"). Pure: counts in, numbers out.
 */

/** The two SLIs inferd measures per model. */
export type SliKind = 'availability' | 'latency';

/** Outcomes (label `outcome` of inferd_requests_total) that spend the availability budget. */
export const BAD_OUTCOMES: readonly string[] = Object.freeze(['error', 'rejected', 'timeout']);

/** True when an outcome counts as good for availability: `success` and the caller's own mistakes. */
export function isGoodOutcome(outcome: string): boolean {
  return !BAD_OUTCOMES.includes(outcome);
}

/** The windows burn rates are reported over, as Prometheus durations. */
export const BURN_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
export type BurnWindow = (typeof BURN_WINDOWS)[number];

const MINUTE_MS = 60_000;
export const WINDOW_MS: Readonly<Record<BurnWindow, number>> = Object.freeze({
  '5m': 5 * MINUTE_MS,
  '30m': 30 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '2h': 120 * MINUTE_MS,
  '6h': 360 * MINUTE_MS,
  '1d': 1440 * MINUTE_MS,
  '3d': 4320 * MINUTE_MS,
});

export type Severity = 'page' | 'ticket';

/** One multiwindow condition: both windows burn faster than `burnRate` times the sustainable rate. */
export interface BurnRateCondition {
  readonly severity: Severity;
  readonly longWindow: BurnWindow;
  readonly shortWindow: BurnWindow;
  readonly burnRate: number;
}

/**
 * The workbook's policy for a 30-day budget: page when 2% of it burns in 1 h or 5% in 6 h; open a ticket when
 * 10% burns in 1 d or in 3 d. The short window (1/12 of the long) lets the alert stop soon after the burn does.
 */
export const BURN_RATE_CONDITIONS: readonly BurnRateCondition[] = Object.freeze([
  { severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 14.4 },
  { severity: 'page', longWindow: '6h', shortWindow: '30m', burnRate: 6 },
  { severity: 'ticket', longWindow: '1d', shortWindow: '2h', burnRate: 3 },
  { severity: 'ticket', longWindow: '3d', shortWindow: '6h', burnRate: 1 },
]);

/** The alert raised for an SLI at a severity, e.g. InferdAvailabilityFastBurn (page). One runbook each. */
export function alertName(sli: SliKind, severity: Severity): string {
  return `Inferd${sli === 'availability' ? 'Availability' : 'Latency'}${severity === 'page' ? 'FastBurn' : 'SlowBurn'}`;
}

/** Requests in a window and how many of them were good. */
export interface SliCounts {
  readonly total: number;
  readonly good: number;
}

/** The allowed fraction of bad requests, 1 - objective, without binary noise (1 - 0.999 is 0.001, not 0.0010000000000000009). */
export function errorBudget(objective: number): number {
  return Number((1 - objective).toPrecision(12));
}

/** good / total, or null without traffic. */
export function sliValue(c: SliCounts): number | null {
  return c.total > 0 ? c.good / c.total : null;
}

/** How many times faster than sustainable the budget burns: error ratio / budget. Null without traffic. */
export function burnRate(c: SliCounts, objective: number): number | null {
  return c.total > 0 ? (c.total - c.good) / c.total / errorBudget(objective) : null;
}

/**
 * The share of the window's error budget still unspent: 1 - bad / (total x budget). 1 without traffic; negative
 * once the objective is missed.
 */
export function budgetRemaining(c: SliCounts, objective: number): number {
  return c.total > 0 ? 1 - (c.total - c.good) / (c.total * errorBudget(objective)) : 1;
}

/** True when both windows of a condition burn faster than its rate. Windows without traffic never fire. */
export function conditionFires(
  condition: BurnRateCondition,
  rates: Readonly<Record<BurnWindow, number | null>>,
): boolean {
  const long = rates[condition.longWindow];
  const short = rates[condition.shortWindow];
  return long !== null && short !== null && long > condition.burnRate && short > condition.burnRate;
}
