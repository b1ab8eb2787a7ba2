/**
 * Prometheus rules for per-model SLOs (what `inferd prometheus-rules` prints): recording rules for each SLI's
 * error ratio over every burn-rate window and over the budget window, the objective and the budget remaining,
 * then multiwindow, multi-burn-rate alerts (slo-math.ts) with a `runbook_url` each. Pure: objectives in, rule
 * groups out. Metric names are those of telemetry/request-metrics.ts.
 */
import { LATENCY_SLO_BOUNDS_SECONDS, type SloConfig } from '../config/slo-config.js';
import {
  BAD_OUTCOMES,
  BURN_RATE_CONDITIONS,
  BURN_WINDOWS,
  alertName,
  errorBudget,
  type Severity,
  type SliKind,
} from './slo-math.js';

/** Recorded error ratio (bad / all) of an SLI over a window: `model:inferd_slo_errors:ratio_rate5m{model, slo}`. */
export const ERROR_RATIO_RULE = 'model:inferd_slo_errors:ratio_rate';
/** The objective as a series, for dashboards: `model:inferd_slo_objective:ratio{model, slo}`. */
export const OBJECTIVE_RULE = 'model:inferd_slo_objective:ratio';
/** 1 - budget spent over the SLO window: `model:inferd_slo_error_budget_remaining:ratio{model, slo}`. */
export const BUDGET_REMAINING_RULE = 'model:inferd_slo_error_budget_remaining:ratio';

export interface ModelSlo {
  readonly model: string;
  readonly slo: SloConfig;
}

export interface RulesOptions {
  /** Prefix of every runbook_url: `<base>/<alert>.md`. Default `docs/runbooks`. */
  readonly runbookBaseUrl?: string | undefined;
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: ReadonlyArray<RecordingRule | AlertingRule>;
}

/** One SLI of one model, as the rules need it. */
interface Sli {
  readonly model: string;
  readonly kind: SliKind;
  readonly objective: number;
  readonly windowDays: number;
  /** Latency only: the bucket bound (seconds) requests must finish within. */
  readonly boundSeconds?: number;
}

/** A rule group per model with an SLO: recording rules first, so its alerts read this evaluation's values. */
export function buildSloRules(models: readonly ModelSlo[], options: RulesOptions = {}): { groups: RuleGroup[] } {
  const base = (options.runbookBaseUrl ?? 'docs/runbooks').replace(/\/+$/, '');
  return {
    groups: models.map(({ model, slo }) => ({
      name: `inferd-slo-${model}`,
      rules: slisOf(model, slo).flatMap((s) => rulesFor(s, base)),
    })),
  };
}

function slisOf(model: string, slo: SloConfig): Sli[] {
  const slis: Sli[] = [];
  if (slo.availability !== undefined)
    slis.push({ model, kind: 'availability', objective: slo.availability, windowDays: slo.windowDays });
  if (slo.latency) {
    const boundSeconds = boundOf(slo.latency.thresholdMs);
    slis.push({ model, kind: 'latency', objective: slo.latency.percentile, windowDays: slo.windowDays, boundSeconds });
  }
  return slis;
}

/** The histogram bound equal to a threshold (parseSloConfig has checked there is one). */
function boundOf(thresholdMs: number): number {
  const bound = LATENCY_SLO_BOUNDS_SECONDS.find((b) => Math.abs(b - thresholdMs / 1000) <= b * 1e-9);
  if (bound === undefined)
    throw new RangeError(
      `latency threshold ${thresholdMs} ms is not a bucket bound of inferd_request_duration_seconds`,
    );
  return bound;
}

function rulesFor(sli: Sli, runbookBase: string): Array<RecordingRule | AlertingRule> {
  // The model label keeps each model's rules distinct (promtool --lint-fatal refuses duplicates otherwise).
  const labels = { model: sli.model, slo: sli.kind };
  const windows = [...new Set<string>([...BURN_WINDOWS, `${sli.windowDays}d`])];
  const ratios = windows.map((w) => ({ record: `${ERROR_RATIO_RULE}${w}`, expr: errorRatioExpr(sli, w), labels }));
  const objective = { record: OBJECTIVE_RULE, expr: `vector(${sli.objective})`, labels };
  const remaining = {
    record: BUDGET_REMAINING_RULE,
    expr: `1 - ${ERROR_RATIO_RULE}${sli.windowDays}d${selector(sli)} / ${errorBudget(sli.objective)}`,
    labels,
  };
  const alerts = (['page', 'ticket'] as const).map((severity) => alertRule(sli, severity, runbookBase));
  return [...ratios, objective, remaining, ...alerts];
}

const q = (value: string) => JSON.stringify(value);
const selector = (sli: Sli) => `{model=${q(sli.model)},slo=${q(sli.kind)}}`;

/** bad / all over `window`; 0 rather than no value when there was traffic but nothing bad. */
function errorRatioExpr(sli: Sli, window: string): string {
  const m = `model=${q(sli.model)}`;
  const rate = (series: string) => `sum by (model) (rate(${series}[${window}]))`;
  if (sli.kind === 'latency') {
    const fast = rate(`inferd_request_duration_seconds_bucket{${m},le=${q(String(sli.boundSeconds))}}`);
    return `1 - (\n  ${fast}\n  /\n  ${rate(`inferd_request_duration_seconds_count{${m}}`)}\n)`;
  }
  const all = rate(`inferd_requests_total{${m}}`);
  const bad = rate(`inferd_requests_total{${m},outcome=~${q(BAD_OUTCOMES.join('|'))}}`);
  return `(\n  ${bad}\n  or\n  0 * ${all}\n)\n/\n${all}`;
}

function alertRule(sli: Sli, severity: Severity, runbookBase: string): AlertingRule {
  const conditions = BURN_RATE_CONDITIONS.filter((c) => c.severity === severity);
  const budget = errorBudget(sli.objective);
  const above = (window: string, rate: number) =>
    `${ERROR_RATIO_RULE}${window}${selector(sli)} > (${rate} * ${budget})`;
  const expr = conditions
    .map((c) => `(\n  ${above(c.longWindow, c.burnRate)}\n  and\n  ${above(c.shortWindow, c.burnRate)}\n)`)
    .join('\nor\n');
  const name = alertName(sli.kind, severity);
  const when = conditions.map((c) => `${c.burnRate}x over ${c.longWindow} and ${c.shortWindow}`).join(', or ');
  return {
    alert: name,
    expr,
    labels: { severity, model: sli.model, slo: sli.kind },
    annotations: {
      summary: `${sli.model} is burning its ${sli.kind} error budget ${severity === 'page' ? 'fast' : 'steadily'}`,
      description: `Objective: ${objectiveText(sli)} over ${sli.windowDays}d. The error budget burns faster than ${when}.`,
      runbook_url: `${runbookBase}/${name}.md`,
    },
  };
}

function objectiveText(sli: Sli): string {
  const percent = `${Number((sli.objective * 100).toPrecision(10))}%`;
  if (sli.kind === 'availability') return `${percent} of requests without a server-side failure`;
  return `${percent} of requests answered within ${Number((sli.boundSeconds! * 1000).toPrecision(6))} ms`;
}
