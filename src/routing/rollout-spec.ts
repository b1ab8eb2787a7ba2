/**
 * What a rollout asks for, as `POST /v1/models/{m}/rollouts` takes it (JSON, snake_case):
 *
 * ```json
 * {
 *   "candidate": 2, "stable": 1,
 *   "steps": [5, 25, 50, 100], "interval_ms": 60000,
 *   "checks": {
 *     "error_rate": { "max_increase": 0.01, "min_samples": 100 },
 *     "p99_latency": { "max_ratio": 1.5, "tolerance_ms": 5, "min_samples": 100 },
 *     "prediction_divergence": { "max": 0.1, "min_samples": 200 },
 *     "paired_disagreement": { "max_disagreement": 0.1, "value_tolerance": 0.1, "confidence": 0.999, "sample_rate": 0.1, "min_samples": 30 },
 *     "shadow_agreement": { "min_agreement": 0.95, "min_samples": 100 }
 *   },
 *   "shadow": { "sample_rate": 0.2 }
 * }
 * ```
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../errors/index.js';
import { PARSE_ONCE } from '../config/parse-once.js';

export interface CheckThresholds {
  /** Fails when the candidate's error rate exceeds the stable's by more than maxIncrease (a fraction). */
  readonly errorRate?: { readonly maxIncrease: number; readonly minSamples: number } | undefined;
  /** Fails when the candidate's p99 exceeds stable p99 × maxRatio + toleranceMs. */
  readonly p99Latency?:
    { readonly maxRatio: number; readonly toleranceMs: number; readonly minSamples: number } | undefined;
  /** Fails when the Jensen–Shannon divergence of the prediction distributions exceeds max (0..1). */
  readonly predictionDivergence?: { readonly max: number; readonly minSamples: number } | undefined;
  /**
   * Both versions answer the same sampled requests (each version's answered requests are mirrored to the other
   * at sampleRate, off the caller's path). Fails when a sequential test (paired-disagreement.ts) shows, at the given
   * confidence, that more than maxDisagreement of the paired rows disagree: labels that differ, or values further
   * apart than valueTolerance × the standard deviation of the stable's answers. Passes when it shows fewer.
   */
  readonly pairedDisagreement?:
    | {
        readonly maxDisagreement: number;
        readonly valueTolerance: number;
        readonly confidence: number;
        readonly sampleRate: number;
        readonly minSamples: number;
      }
    | undefined;
  /** Fails when shadowed rows agree less than minAgreement (classification) or differ more than maxMeanAbsDiff (regression). */
  readonly shadowAgreement?:
    | { readonly minAgreement: number; readonly maxMeanAbsDiff?: number | undefined; readonly minSamples: number }
    | undefined;
}

export interface RolloutSpec {
  readonly candidate: number;
  /** The version the candidate is compared with and rolled back to; default: the one taking most traffic now. */
  readonly stable?: number | undefined;
  /** Candidate weights in percent, ascending; reaching 100 promotes it. */
  readonly steps: readonly number[];
  readonly intervalMs: number;
  readonly checks: CheckThresholds;
  /** Mirror this share of the stable's requests to the candidate during the rollout. */
  readonly shadow?: { readonly sampleRate: number } | undefined;
}

const minSamples = z.number().int().min(1).default(50);

const checksSchema = z.strictObject({
  error_rate: z
    .strictObject({ max_increase: z.number().min(0).max(1).default(0.01), min_samples: minSamples })
    .optional(),
  p99_latency: z
    .strictObject({
      max_ratio: z.number().min(1).default(1.5),
      tolerance_ms: z.number().min(0).default(5),
      min_samples: minSamples,
    })
    .optional(),
  prediction_divergence: z
    .strictObject({ max: z.number().min(0).max(1).default(0.1), min_samples: minSamples })
    .optional(),
  paired_disagreement: z
    .strictObject({
      max_disagreement: z.number().gt(0).lt(1).default(0.1),
      value_tolerance: z.number().min(0).default(0.1),
      confidence: z.number().gt(0.5).lt(1).default(0.999),
      sample_rate: z.number().gt(0).max(1).default(0.1),
      min_samples: z.number().int().min(1).default(30),
    })
    .optional(),
  shadow_agreement: z
    .strictObject({
      min_agreement: z.number().min(0).max(1).default(0.9),
      max_mean_abs_diff: z.number().min(0).optional(),
      min_samples: minSamples,
    })
    .optional(),
});

const specSchema = z.strictObject({
  candidate: z.number().int().min(1),
  stable: z.number().int().min(1).optional(),
  steps: z.array(z.number().gt(0).max(100)).min(1).default([5, 25, 50, 100]),
  interval_ms: z.number().int().min(10).default(60_000),
  checks: checksSchema.optional(),
  shadow: z.strictObject({ sample_rate: z.number().gt(0).max(1) }).optional(),
});

type ChecksInput = z.infer<typeof checksSchema>;

/**
 * Checks used when a rollout names none: error rate, p99 latency, prediction divergence, paired disagreement
 * (+ agreement with the shadow when one is asked for). Only the paired check compares answers to the same
 * requests: a candidate that swaps labels keeps the distribution of predicted classes and passes divergence.
 */
function defaultChecks(withShadow: boolean): ChecksInput {
  const base = checksSchema.parse(
    {
      error_rate: {},
      p99_latency: {},
      prediction_divergence: {},
      paired_disagreement: {},
    },
    PARSE_ONCE,
  );
  return withShadow ? { ...base, ...checksSchema.parse({ shadow_agreement: {} }, PARSE_ONCE) } : base;
}

function toChecks(c: ChecksInput): CheckThresholds {
  return {
    errorRate: c.error_rate && { maxIncrease: c.error_rate.max_increase, minSamples: c.error_rate.min_samples },
    p99Latency: c.p99_latency && {
      maxRatio: c.p99_latency.max_ratio,
      toleranceMs: c.p99_latency.tolerance_ms,
      minSamples: c.p99_latency.min_samples,
    },
    predictionDivergence: c.prediction_divergence && {
      max: c.prediction_divergence.max,
      minSamples: c.prediction_divergence.min_samples,
    },
    pairedDisagreement: c.paired_disagreement && {
      maxDisagreement: c.paired_disagreement.max_disagreement,
      valueTolerance: c.paired_disagreement.value_tolerance,
      confidence: c.paired_disagreement.confidence,
      sampleRate: c.paired_disagreement.sample_rate,
      minSamples: c.paired_disagreement.min_samples,
    },
    shadowAgreement: c.shadow_agreement && {
      minAgreement: c.shadow_agreement.min_agreement,
      maxMeanAbsDiff: c.shadow_agreement.max_mean_abs_diff,
      minSamples: c.shadow_agreement.min_samples,
    },
  };
}

/** Validates a rollout request body. Errors name the field and the rule. */
export function parseRolloutSpec(body: unknown): RolloutSpec {
  const parsed = specSchema.safeParse(body ?? {}, PARSE_ONCE);
  if (!parsed.success)
    throw new InvalidArgumentError(`invalid rollout: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  const s = parsed.data;
  if (s.steps.some((w, i) => i > 0 && w <= s.steps[i - 1]))
    throw new InvalidArgumentError(`invalid rollout: steps must rise, got [${s.steps.join(', ')}]`);
  if (s.steps[0] >= 100)
    throw new InvalidArgumentError(
      'invalid rollout: the first step must be below 100% (the analysis compares the candidate with stable traffic)',
    );
  if (s.stable === s.candidate)
    throw new InvalidArgumentError(`invalid rollout: stable and candidate are both version ${s.candidate}`);
  if (s.checks?.shadow_agreement && !s.shadow)
    throw new InvalidArgumentError(`invalid rollout: the shadow_agreement check needs "shadow": {"sample_rate": ...}`);
  return {
    candidate: s.candidate,
    stable: s.stable,
    steps: s.steps,
    intervalMs: s.interval_ms,
    checks: toChecks(s.checks ?? defaultChecks(s.shadow !== undefined)),
    shadow: s.shadow && { sampleRate: s.shadow.sample_rate },
  };
}
