/**
 * Live drift monitoring of a model, declared under `drift:` in its `config.yaml`:
 *
 * ```yaml
 * drift:
 *   sample_rate: 0.1                 # share of requests whose rows are counted (default 1)
 *   window: { rows: 1000, seconds: 3600, slices: 10 }   # the last 1000 rows (or hour), evaluated every 100 rows (or 6 min)
 *   min_rows: 1000                   # rows the window needs to be evaluated (default: rows; 100 with seconds)
 *   thresholds: { psi: 0.2, ks: 0.1, js: 0.1, missing_rate: 0.1 }
 *   features: { pixel_21: { psi: 0.3 } }    # per-feature overrides (prediction features too)
 *   webhook: { url: https://ci.example/retrain, cooldown_seconds: 3600, timeout_ms: 2000 }
 *   buffer_rows: 10000               # rows waiting to be counted; more are dropped (and counted as dropped)
 * ```
 *
 * The reference distributions come from `profile.json` in the version folder (`inferd profile`).
 */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { PARSE_ONCE } from './parse-once.js';

/** Thresholds per statistic: a value strictly above its threshold is drift. */
export interface DriftThresholds {
  /** Population stability index over the profile's quantile bins (numeric features). */
  readonly psi: number;
  /** Kolmogorov–Smirnov statistic from the binned CDFs (numeric features). */
  readonly ks: number;
  /** Jensen–Shannon divergence, base 2, in [0, 1] (categorical features). */
  readonly js: number;
  /** Absolute change of the missing-value rate. */
  readonly missingRate: number;
}

export interface DriftWebhookConfig {
  readonly url: string;
  /** After a call, no further call for this version until this much time has passed. */
  readonly cooldownSeconds: number;
  readonly timeoutMs: number;
}

export interface DriftConfig {
  readonly sampleRate: number;
  /** The rolling window covers at most this many of the latest rows… */
  readonly windowRows: number;
  /** …and at most this much time; undefined: rows only. */
  readonly windowSeconds?: number;
  /** The window moves by slices: one ends every windowRows / windowSlices rows (or windowSeconds / windowSlices s), and then the window is evaluated. */
  readonly windowSlices: number;
  /** Rows the window must hold to be evaluated. */
  readonly minRows: number;
  readonly thresholds: DriftThresholds;
  /** Overrides by feature name. */
  readonly features: Readonly<Record<string, Partial<DriftThresholds>>>;
  readonly webhook?: DriftWebhookConfig;
  readonly bufferRows: number;
}

export const DEFAULT_DRIFT_THRESHOLDS: DriftThresholds = Object.freeze({
  psi: 0.2,
  ks: 0.1,
  js: 0.1,
  missingRate: 0.1,
});

const thresholdsSchema = z.strictObject({
  psi: z.number().positive().optional(),
  ks: z.number().gt(0).max(1).optional(),
  js: z.number().gt(0).max(1).optional(),
  missing_rate: z.number().gt(0).max(1).optional(),
});

export const driftYamlSchema = z.strictObject({
  sample_rate: z.number().gt(0).max(1).default(1),
  window: z
    .strictObject({
      rows: z.number().int().min(10).max(10_000_000).default(1000),
      seconds: z.number().positive().optional(),
      slices: z.number().int().min(1).max(100).default(10),
    })
    .default({ rows: 1000, slices: 10 }),
  min_rows: z.number().int().min(1).optional(),
  thresholds: thresholdsSchema.default({}),
  features: z.record(z.string().min(1), thresholdsSchema).default({}),
  webhook: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: 'webhook.url must be an http:// or https:// URL' }),
      cooldown_seconds: z.number().min(0).default(3600),
      timeout_ms: z.number().int().positive().default(2000),
    })
    .optional(),
  buffer_rows: z.number().int().min(1).default(10_000),
});

type Thresholds = z.infer<typeof thresholdsSchema>;

function toThresholds(t: Thresholds): Partial<DriftThresholds> {
  const out = { psi: t.psi, ks: t.ks, js: t.js, missingRate: t.missing_rate };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** Parses and validates the `drift:` section of a model config. Errors name the file and the field. */
export function parseDriftConfig(raw: unknown, file: string): DriftConfig {
  const parsed = driftYamlSchema.safeParse(raw ?? {}, PARSE_ONCE);
  if (!parsed.success) throw new ConfigError(`${file}: invalid drift:\n${z.prettifyError(parsed.error)}`);
  const d = parsed.data;
  const minRows = d.min_rows ?? (d.window.seconds === undefined ? d.window.rows : Math.min(100, d.window.rows));
  if (d.window.slices > d.window.rows)
    throw new ConfigError(
      `${file}: drift.window.slices (${d.window.slices}) is larger than drift.window.rows (${d.window.rows}); use fewer slices`,
    );
  if (minRows > d.window.rows)
    throw new ConfigError(
      `${file}: drift.min_rows (${minRows}) is larger than drift.window.rows (${d.window.rows}); lower min_rows`,
    );
  return Object.freeze({
    sampleRate: d.sample_rate,
    windowRows: d.window.rows,
    windowSlices: d.window.slices,
    ...(d.window.seconds !== undefined ? { windowSeconds: d.window.seconds } : {}),
    minRows,
    thresholds: Object.freeze({ ...DEFAULT_DRIFT_THRESHOLDS, ...toThresholds(d.thresholds) }),
    features: Object.freeze(
      Object.fromEntries(Object.entries(d.features).map(([k, v]) => [k, Object.freeze(toThresholds(v))])),
    ),
    ...(d.webhook
      ? {
          webhook: Object.freeze({
            url: d.webhook.url,
            cooldownSeconds: d.webhook.cooldown_seconds,
            timeoutMs: d.webhook.timeout_ms,
          }),
        }
      : {}),
    bufferRows: d.buffer_rows,
  });
}
