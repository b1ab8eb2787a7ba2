/**
 * Overload and failure settings of a model: the concurrency limit (static and adaptive) and the fallback
 * predictor with its circuit breaker.
 *
 * config.yaml:
 * ```yaml
 * max_concurrency: 64                  # requests in flight (queued + computing) per version; 0: no limit
 * adaptive_concurrency: { target_latency_ms: 25, min_limit: 4, max_limit: 256 }   # AIMD on queue+compute latency
 * fallback:
 *   constant: { label: 0, logits: [0, 0, 0] }       # one row's values per output
 *   # rule: "amount > 1000 ? 0.9 : 0.05"            # the first output; or { output: "expr" } / { output: ["expr", ...] }
 *   # model: fraud_rules                             # another model, same inputs
 *   when: [error, timeout, shed, features]           # default: all four
 *   breaker: { failure_threshold: 5, error_rate: 0.5, window: 20, open_ms: 5000 }   # or false
 * ```
 * Triton's config.pbtxt carries the same as `parameters` (Triton ignores keys it does not know):
 * `max_concurrency`, `adaptive_concurrency_target_latency_ms`, `adaptive_concurrency_min_limit`,
 * `adaptive_concurrency_max_limit`, `fallback_constant` (JSON), `fallback_rule`, `fallback_model`,
 * `fallback_when` (comma-separated), `breaker_failure_threshold`, `breaker_error_rate`, `breaker_window`,
 * `breaker_open_ms`.
 */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { compileExpression, ExpressionSyntaxError } from '../lib/expression.js';
import { once } from '../lib/once.js';
import type { CircuitBreakerSettings } from '../lib/circuit-breaker.js';
import type { TensorSpec } from '../tensor/index.js';
import { PARSE_ONCE } from './parse-once.js';

/** Why a fallback answered: the model failed, its request timed out in the queue, it was shed under load, its features could not be read, or its breaker is open. */
export type FallbackReason = 'error' | 'timeout' | 'shed' | 'features' | 'breaker_open';
export const FALLBACK_TRIGGERS = ['error', 'timeout', 'shed', 'features'] as const;
export type FallbackTrigger = (typeof FALLBACK_TRIGGERS)[number];

export type FallbackPredictorConfig =
  | { readonly kind: 'constant'; readonly outputs: Readonly<Record<string, readonly number[]>> }
  /** Output name → one expression per element of a row; the key '' stands for the model's first output. */
  | { readonly kind: 'rule'; readonly rules: Readonly<Record<string, readonly string[]>> }
  | { readonly kind: 'model'; readonly model: string };

export interface FallbackConfig {
  readonly predictor: FallbackPredictorConfig;
  readonly when: readonly FallbackTrigger[];
  /** Absent: no breaker (every request tries the model first). */
  readonly breaker?: CircuitBreakerSettings;
}

export interface AdaptiveConcurrencyConfig {
  readonly algorithm: 'aimd';
  /** Queue + compute latency the limit steers to. */
  readonly targetLatencyMs: number;
  readonly initialLimit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Multiplier applied to the limit when latency passes the target. */
  readonly backoffRatio: number;
}

/** A model breaker's settings where its config leaves them out (an error rate of 0 would turn the rate test off). */
export const DEFAULT_MODEL_BREAKER: Required<CircuitBreakerSettings> = Object.freeze({
  failureThreshold: 5,
  errorRate: 0.5,
  window: 20,
  openMs: 5000,
});

// Built the first time a model's fallback: is parsed (few models have one).
const fallbackSchema = once(() => {
  const numberList = z.union([
    z.number(),
    z.boolean(),
    z
      .array(z.union([z.number(), z.boolean()]))
      .min(1)
      .max(65536),
  ]);

  const breakerSchema = z.strictObject({
    failure_threshold: z.number().int().min(1).max(1_000_000).optional(),
    error_rate: z.number().min(0).max(1).optional(),
    window: z.number().int().min(1).max(10_000).optional(),
    open_ms: z.number().int().min(1).max(86_400_000).optional(),
  });

  const fallbackSchema = z
    .strictObject({
      constant: z.record(z.string().min(1), numberList).optional(),
      rule: z
        .union([
          z.string().min(1),
          z.record(z.string().min(1), z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4096)])),
        ])
        .optional(),
      model: z.string().min(1).max(256).optional(),
      when: z.array(z.enum(FALLBACK_TRIGGERS)).min(1).optional(),
      breaker: z.union([z.literal(false), breakerSchema]).optional(),
    })
    .refine((f) => [f.constant, f.rule, f.model].filter((x) => x !== undefined).length === 1, {
      message: 'give exactly one of constant, rule or model',
    });
  return fallbackSchema;
});

export const adaptiveConcurrencySchema = z.strictObject({
  algorithm: z.literal('aimd').optional(),
  target_latency_ms: z.number().positive().max(600_000),
  initial_limit: z.number().int().min(1).optional(),
  min_limit: z.number().int().min(1).optional(),
  max_limit: z.number().int().min(1).optional(),
  backoff_ratio: z.number().gt(0).lt(1).optional(),
});

type FallbackYaml = z.infer<ReturnType<typeof fallbackSchema>>;

function compileRule(expr: string, file: string, where: string): string {
  try {
    compileExpression(expr);
  } catch (err) {
    if (err instanceof ExpressionSyntaxError) throw new ConfigError(`${file}: ${where}: ${err.message} in "${expr}"`);
    throw err;
  }
  return expr;
}

function toPredictor(f: FallbackYaml, file: string): FallbackPredictorConfig {
  if (f.model !== undefined) return { kind: 'model', model: f.model };
  if (f.rule !== undefined) {
    const rules = typeof f.rule === 'string' ? { '': f.rule } : f.rule;
    const compiled = Object.entries(rules).map(([k, v]) => [
      k,
      (Array.isArray(v) ? v : [v]).map((e, i) =>
        compileRule(e, file, `fallback.rule${k ? `.${k}` : ''}${Array.isArray(v) ? `[${i}]` : ''}`),
      ),
    ]);
    return { kind: 'rule', rules: Object.fromEntries(compiled) };
  }
  const outputs = Object.entries(f.constant!).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map(Number)] as const);
  return { kind: 'constant', outputs: Object.fromEntries(outputs) };
}

/** config.yaml `fallback` → the model's fallback (validated already by modelConfigYamlSchema). */
export function toFallback(raw: unknown, file: string): FallbackConfig | undefined {
  if (raw === undefined) return undefined;
  const parsed = fallbackSchema().safeParse(raw, PARSE_ONCE);
  if (!parsed.success) throw new ConfigError(`${file}: invalid fallback:\n${z.prettifyError(parsed.error)}`);
  const f = parsed.data;
  const b = f.breaker;
  return {
    predictor: toPredictor(f, file),
    when: f.when ?? [...FALLBACK_TRIGGERS],
    ...(b === false
      ? {}
      : {
          breaker: {
            failureThreshold: b?.failure_threshold ?? DEFAULT_MODEL_BREAKER.failureThreshold,
            errorRate: b?.error_rate ?? DEFAULT_MODEL_BREAKER.errorRate,
            window: b?.window ?? DEFAULT_MODEL_BREAKER.window,
            openMs: b?.open_ms ?? DEFAULT_MODEL_BREAKER.openMs,
          },
        }),
  };
}

/** config.yaml `adaptive_concurrency` → the adaptive limit's settings. */
export function toAdaptiveConcurrency(
  raw: z.infer<typeof adaptiveConcurrencySchema> | undefined,
  file: string,
): AdaptiveConcurrencyConfig | undefined {
  if (raw === undefined) return undefined;
  const minLimit = raw.min_limit ?? 1;
  const maxLimit = raw.max_limit ?? 1000;
  if (minLimit > maxLimit)
    throw new ConfigError(`${file}: adaptive_concurrency.min_limit (${minLimit}) is above max_limit (${maxLimit})`);
  const initialLimit = Math.min(
    Math.max(raw.initial_limit ?? Math.min(maxLimit, Math.max(minLimit, 20)), minLimit),
    maxLimit,
  );
  return {
    algorithm: 'aimd',
    targetLatencyMs: raw.target_latency_ms,
    initialLimit,
    minLimit,
    maxLimit,
    backoffRatio: raw.backoff_ratio ?? 0.9,
  };
}

function numberParam(params: Readonly<Record<string, string>>, key: string, file: string): number | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n))
    throw new ConfigError(`${file}: parameter ${key} must be a number, got '${v}'`);
  return n;
}

/** The same settings from config.pbtxt `parameters` (string values), in config.yaml's shape. */
export function resilienceFromParameters(
  params: Readonly<Record<string, string>>,
  file: string,
): {
  maxConcurrency?: number | undefined;
  adaptiveConcurrency?: AdaptiveConcurrencyConfig | undefined;
  fallback?: FallbackConfig | undefined;
} {
  const n = (k: string) => numberParam(params, k, file);
  const target = n('adaptive_concurrency_target_latency_ms');
  const adaptive =
    target === undefined
      ? undefined
      : adaptiveConcurrencySchema.safeParse(
          {
            target_latency_ms: target,
            min_limit: n('adaptive_concurrency_min_limit'),
            max_limit: n('adaptive_concurrency_max_limit'),
          },
          PARSE_ONCE,
        );
  if (adaptive && !adaptive.success)
    throw new ConfigError(`${file}: invalid adaptive_concurrency_* parameters:\n${z.prettifyError(adaptive.error)}`);
  let constant: unknown;
  if (params.fallback_constant !== undefined) {
    try {
      constant = JSON.parse(params.fallback_constant);
    } catch {
      throw new ConfigError(
        `${file}: parameter fallback_constant must be JSON such as {"label": 0}, got '${params.fallback_constant}'`,
      );
    }
  }
  const declared = ['fallback_constant', 'fallback_rule', 'fallback_model'].some((k) => params[k] !== undefined);
  const breakerKeys = {
    failure_threshold: n('breaker_failure_threshold'),
    error_rate: n('breaker_error_rate'),
    window: n('breaker_window'),
    open_ms: n('breaker_open_ms'),
  };
  const fallback = declared
    ? toFallback(
        JSON.parse(
          JSON.stringify({
            constant,
            rule: params.fallback_rule,
            model: params.fallback_model,
            when: params.fallback_when
              ?.split(',')
              .map((s) => s.trim())
              .filter(Boolean),
            breaker: breakerKeys,
          }),
        ),
        file,
      )
    : undefined;
  const max = n('max_concurrency');
  if (max !== undefined && (!Number.isInteger(max) || max < 0))
    throw new ConfigError(`${file}: parameter max_concurrency must be a whole number ≥ 0, got ${max}`);
  return {
    maxConcurrency: max,
    adaptiveConcurrency: adaptive?.success ? toAdaptiveConcurrency(adaptive.data, file) : undefined,
    fallback,
  };
}

/** Checks a fallback against the completed signature: every output it names exists and constants fit. */
export function checkFallback(fallback: FallbackConfig, outputs: readonly TensorSpec[], where: string): void {
  const p = fallback.predictor;
  const names =
    p.kind === 'constant'
      ? Object.keys(p.outputs)
      : p.kind === 'rule'
        ? Object.keys(p.rules).filter((k) => k !== '')
        : [];
  for (const name of names) {
    const spec = outputs.find((o) => o.name === name);
    if (!spec)
      throw new ConfigError(
        `${where}: fallback names output '${name}', which the model does not have; its outputs are: ${outputs.map((o) => o.name).join(', ')}`,
      );
    if (spec.datatype === 'BYTES')
      throw new ConfigError(`${where}: fallback output '${name}' is BYTES; fallbacks give numbers only`);
    const fixed = spec.dims.every((d) => d >= 0) ? spec.dims.reduce((a, d) => a * d, 1) : undefined;
    const len = p.kind === 'constant' ? p.outputs[name].length : p.kind === 'rule' ? p.rules[name].length : 0;
    if (fixed !== undefined && len !== fixed) {
      throw new ConfigError(
        `${where}: fallback for output '${name}' gives ${len} value(s) per row, but the output has dims [${spec.dims.join(', ')}] (${fixed} per row)`,
      );
    }
  }
  if (p.kind === 'rule') {
    const spec = p.rules[''] !== undefined ? outputs[0] : undefined;
    const fixed = spec && spec.dims.every((d) => d >= 0) ? spec.dims.reduce((a, d) => a * d, 1) : undefined;
    if (spec && fixed !== undefined && fixed !== 1)
      throw new ConfigError(
        `${where}: fallback.rule gives one value per row, but the first output '${spec.name}' has dims [${spec.dims.join(', ')}] (${fixed} per row); give one expression per element: rule: { ${spec.name}: ["...", "..."] }`,
      );
  }
}
