/**
 * The canary verdict: checks comparing a candidate with the stable version over the current step's interval,
 * and the decision they lead to. Pure over metric snapshots with the time passed in: no I/O, no clock, no
 * node:* imports, so every rule is tested instantly.
 *
 * - Any check failing (with its minimum samples met) rolls back at once, mid-interval if need be.
 * - At the end of an interval: all checks passing advances to the next step (or promotes after the last one
 *   below 100%); a check short of samples holds the step for another interval.
 */
import { agreementRate, meanAbsDifference, type AgreementSummary, type PairedSummary } from './agreement.js';
import { countAbove, standardDeviation, testDisagreement } from './paired-disagreement.js';
import { jensenShannon, valueDivergence } from './divergence.js';
import type { CheckThresholds } from './rollout-spec.js';
import { quantile, type WindowSummary } from './version-window.js';

export type CheckName =
  'error_rate' | 'p99_latency' | 'prediction_divergence' | 'paired_disagreement' | 'shadow_agreement';

export interface CheckResult {
  readonly check: CheckName;
  readonly status: 'pass' | 'fail' | 'insufficient';
  /** What was measured (error-rate increase, candidate p99 in ms, divergence, share of paired rows disagreeing, agreement). */
  readonly value?: number;
  /** The threshold it was held against. */
  readonly limit: number;
  readonly samples: { readonly candidate: number; readonly stable?: number | undefined; readonly required: number };
  /** One sentence saying what was measured against what. */
  readonly detail: string;
}

/** What the checks look at: both versions' windows since the step began, the paired rows and the shadow comparisons. */
export interface Evidence {
  readonly stable: WindowSummary;
  readonly candidate: WindowSummary;
  /** Rows both versions answered (each version's sampled requests mirrored to the other). */
  readonly paired?: PairedSummary | undefined;
  readonly shadow?: AgreementSummary | undefined;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

function insufficient(
  check: CheckName,
  limit: number,
  candidate: number,
  stable: number | undefined,
  required: number,
): CheckResult {
  const have = stable === undefined ? `${candidate}` : `candidate ${candidate}, stable ${stable}`;
  return {
    check,
    status: 'insufficient',
    limit,
    samples: { candidate, stable, required },
    detail: `${check} needs ${required} samples per version, has ${have}`,
  };
}

function errorRateCheck(t: NonNullable<CheckThresholds['errorRate']>, e: Evidence): CheckResult {
  const { candidate: c, stable: s } = e;
  if (c.requests < t.minSamples || s.requests < t.minSamples)
    return insufficient('error_rate', t.maxIncrease, c.requests, s.requests, t.minSamples);
  const rc = c.errors / c.requests;
  const rs = s.errors / s.requests;
  const increase = rc - rs;
  const status = increase > t.maxIncrease ? 'fail' : 'pass';
  const detail = `candidate error rate ${pct(rc)} (${c.errors}/${c.requests}) vs stable ${pct(rs)} (${s.errors}/${s.requests}): increase ${pct(increase)} ${status === 'fail' ? '>' : '≤'} ${pct(t.maxIncrease)}`;
  return {
    check: 'error_rate',
    status,
    value: increase,
    limit: t.maxIncrease,
    samples: { candidate: c.requests, stable: s.requests, required: t.minSamples },
    detail,
  };
}

function latencyCheck(t: NonNullable<CheckThresholds['p99Latency']>, e: Evidence): CheckResult {
  const { candidate: c, stable: s } = e;
  const pc = quantile(c.latenciesMs, 0.99);
  const ps = quantile(s.latenciesMs, 0.99);
  if (c.requests < t.minSamples || s.requests < t.minSamples || pc === undefined || ps === undefined) {
    return insufficient('p99_latency', t.maxRatio, c.requests, s.requests, t.minSamples);
  }
  const limit = ps * t.maxRatio + t.toleranceMs;
  const status = pc > limit ? 'fail' : 'pass';
  const detail = `candidate p99 ${ms(pc)} vs stable p99 ${ms(ps)}: ${status === 'fail' ? 'above' : 'within'} the limit ${ms(limit)} (${t.maxRatio} × stable + ${t.toleranceMs} ms)`;
  return {
    check: 'p99_latency',
    status,
    value: pc,
    limit,
    samples: { candidate: c.requests, stable: s.requests, required: t.minSamples },
    detail,
  };
}

function predictionRows(w: WindowSummary): number {
  return w.predictionKind === 'value' ? w.values.length : [...w.classes.values()].reduce((a, b) => a + b, 0);
}

function divergenceCheck(t: NonNullable<CheckThresholds['predictionDivergence']>, e: Evidence): CheckResult {
  const rc = predictionRows(e.candidate);
  const rs = predictionRows(e.stable);
  if (rc < t.minSamples || rs < t.minSamples) return insufficient('prediction_divergence', t.max, rc, rs, t.minSamples);
  const byValue = e.candidate.predictionKind === 'value' || e.stable.predictionKind === 'value';
  const js = byValue
    ? valueDivergence(e.candidate.values, e.stable.values)
    : jensenShannon(e.candidate.classes, e.stable.classes);
  const status = js > t.max ? 'fail' : 'pass';
  const detail = `prediction distributions: Jensen–Shannon divergence ${js.toFixed(3)} ${status === 'fail' ? '>' : '≤'} ${t.max} (candidate ${rc} rows, stable ${rs} rows)`;
  return {
    check: 'prediction_divergence',
    status,
    value: js,
    limit: t.max,
    samples: { candidate: rc, stable: rs, required: t.minSamples },
    detail,
  };
}

/** How paired rows are counted as disagreeing: labels that differ, or values apart by more than the threshold. */
function disagreementRule(
  t: NonNullable<CheckThresholds['pairedDisagreement']>,
  e: Evidence,
): { threshold: number; what: string } | undefined {
  if (e.paired?.kind !== 'value') return { threshold: 0, what: 'labels differ' };
  const spread = standardDeviation(e.stable.values);
  if (spread === undefined) return undefined;
  const threshold = t.valueTolerance * spread;
  return {
    threshold,
    what: `answers differ by more than ${threshold.toPrecision(3)} (${t.valueTolerance} × the stable's standard deviation ${spread.toPrecision(3)})`,
  };
}

function pairedCheck(t: NonNullable<CheckThresholds['pairedDisagreement']>, e: Evidence): CheckResult {
  const diffs = e.paired?.absDiffs ?? [];
  const rule = disagreementRule(t, e);
  const n = diffs.length;
  const samples = { candidate: n, required: t.minSamples };
  if (n < t.minSamples || !rule) {
    const why = rule ? '' : " and the stable's answers to measure their spread";
    return {
      check: 'paired_disagreement',
      status: 'insufficient',
      limit: t.maxDisagreement,
      samples,
      detail: `paired_disagreement needs ${t.minSamples} paired rows${why}, has ${n}`,
    };
  }
  const k = countAbove(diffs, rule.threshold);
  const test = testDisagreement(k, n, t.maxDisagreement, 1 - t.confidence);
  const conf = `${+(100 * t.confidence).toFixed(3)}%`;
  const measured = `${rule.what} on ${pct(test.rate)} of ${n} paired rows (${k}); ${conf} bounds ${pct(test.lower)}–${pct(test.upper)}`;
  if (test.verdict === 'undecided') {
    return {
      check: 'paired_disagreement',
      status: 'insufficient',
      value: test.rate,
      limit: t.maxDisagreement,
      samples,
      detail: `paired_disagreement needs more paired rows to tell ${pct(t.maxDisagreement)} apart: ${measured}`,
    };
  }
  const status = test.verdict === 'above' ? 'fail' : 'pass';
  const detail = `${measured}: ${status === 'fail' ? 'above' : 'within'} the tolerance ${pct(t.maxDisagreement)}`;
  return { check: 'paired_disagreement', status, value: test.rate, limit: t.maxDisagreement, samples, detail };
}

function agreementCheck(t: NonNullable<CheckThresholds['shadowAgreement']>, e: Evidence): CheckResult {
  const s = e.shadow;
  const rows = s?.rows ?? 0;
  if (!s || rows < t.minSamples) return insufficient('shadow_agreement', t.minAgreement, rows, undefined, t.minSamples);
  if (s.kind === 'value' && t.maxMeanAbsDiff !== undefined) {
    const mad = meanAbsDifference(s)!;
    const status = mad > t.maxMeanAbsDiff ? 'fail' : 'pass';
    const detail = `shadow answers differ by ${mad.toFixed(4)} on average over ${rows} rows ${status === 'fail' ? '>' : '≤'} ${t.maxMeanAbsDiff}`;
    return {
      check: 'shadow_agreement',
      status,
      value: mad,
      limit: t.maxMeanAbsDiff,
      samples: { candidate: rows, required: t.minSamples },
      detail,
    };
  }
  const rate = agreementRate(s)!;
  const status = rate < t.minAgreement ? 'fail' : 'pass';
  const detail = `shadow agreement ${pct(rate)} of ${rows} rows ${status === 'fail' ? '<' : '≥'} ${pct(t.minAgreement)}`;
  return {
    check: 'shadow_agreement',
    status,
    value: rate,
    limit: t.minAgreement,
    samples: { candidate: rows, required: t.minSamples },
    detail,
  };
}

/** Runs every configured check over the evidence. */
export function evaluateChecks(checks: CheckThresholds, evidence: Evidence): CheckResult[] {
  const out: CheckResult[] = [];
  if (checks.errorRate) out.push(errorRateCheck(checks.errorRate, evidence));
  if (checks.p99Latency) out.push(latencyCheck(checks.p99Latency, evidence));
  if (checks.predictionDivergence) out.push(divergenceCheck(checks.predictionDivergence, evidence));
  if (checks.pairedDisagreement) out.push(pairedCheck(checks.pairedDisagreement, evidence));
  if (checks.shadowAgreement) out.push(agreementCheck(checks.shadowAgreement, evidence));
  return out;
}

/** Where a rollout stands, as far as deciding goes. */
export interface Progress {
  readonly status: 'progressing' | 'paused' | 'succeeded' | 'failed' | 'aborted';
  readonly steps: readonly number[];
  readonly stepIndex: number;
  /** When the current interval ends (ms, same clock as `now`). */
  readonly reviewAt: number;
}

export type Action = 'hold' | 'advance' | 'promote' | 'rollback';

export type Decision =
  | { readonly action: 'wait' }
  | {
      readonly action: Action;
      /** The candidate's weight after the decision, in percent. */
      readonly weight: number;
      readonly reason: string;
      readonly failed: readonly CheckName[];
      readonly checks: readonly CheckResult[];
    };

const WAIT: Decision = Object.freeze({ action: 'wait' });

/** What to do now, given the checks over the current interval. `now` and `reviewAt` share one clock. */
export function decide(progress: Progress, checks: readonly CheckResult[], now: number): Decision {
  if (progress.status !== 'progressing') return WAIT;
  const weight = progress.steps[progress.stepIndex];
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) {
    return {
      action: 'rollback',
      weight: 0,
      reason: `${failed.map((c) => `${c.check} failed: ${c.detail}`).join('; ')}`,
      failed: failed.map((c) => c.check),
      checks,
    };
  }
  if (now < progress.reviewAt) return WAIT;
  const short = checks.filter((c) => c.status === 'insufficient');
  if (short.length)
    return {
      action: 'hold',
      weight,
      reason: `holding at ${weight}%: ${short.map((c) => c.detail).join('; ')}`,
      failed: [],
      checks,
    };
  const next = progress.steps[progress.stepIndex + 1];
  if (next === undefined || next >= 100)
    return {
      action: 'promote',
      weight: 100,
      reason: `every check passed at ${weight}%: promoting`,
      failed: [],
      checks,
    };
  return {
    action: 'advance',
    weight: next,
    reason: `every check passed at ${weight}%: advancing to ${next}%`,
    failed: [],
    checks,
  };
}
