/**
 * Service level objectives of a model, declared under `slo:` in its `config.yaml`:
 *
 * ```yaml
 * slo:
 *   availability: 0.999                              # 99.9% of requests answered without a server-side failure
 *   latency: { threshold_ms: 50, percentile: 0.99 }  # 99% of requests answered within 50 ms
 *   window_days: 30                                  # the error budget's window (default 30)
 * ```
 *
 * A server-side failure is an answer with outcome `error`, `rejected` (queue full) or `timeout`; a client's
 * mistake (`client_error`) does not spend the budget. The latency threshold must be a bucket bound of
 * `inferd_request_duration_seconds`, so that Prometheus counts the requests under it exactly.
 */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { PARSE_ONCE } from './parse-once.js';

/**
 * Bucket bounds (seconds) of `inferd_request_duration_seconds`. Must equal `LATENCY_BUCKETS` in
 * telemetry/request-metrics.ts (a test checks it); config/ may not import telemetry/.
 */
export const LATENCY_SLO_BOUNDS_SECONDS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

export interface LatencyObjective {
  /** A request answered within this many milliseconds is good. */
  readonly thresholdMs: number;
  /** The fraction of requests that must be good, e.g. 0.99 (the 99th percentile under the threshold). */
  readonly percentile: number;
}

export interface SloConfig {
  /** The fraction of requests that must be answered without a server-side failure, e.g. 0.999. */
  readonly availability?: number;
  readonly latency?: LatencyObjective;
  /** The window the error budget is counted over. */
  readonly windowDays: number;
}

/** The longest error-budget window: bounds the memory of the in-process record. */
export const MAX_SLO_WINDOW_DAYS = 90;

const fraction = z.number().gt(0).lt(1);

export const sloYamlSchema = z
  .strictObject({
    availability: fraction.optional(),
    latency: z.strictObject({ threshold_ms: z.number().positive(), percentile: fraction }).optional(),
    window_days: z.number().int().min(1).max(MAX_SLO_WINDOW_DAYS).default(30),
  })
  .refine((s) => s.availability !== undefined || s.latency !== undefined, {
    message: 'declare availability, latency or both, e.g. slo: { availability: 0.999 }',
  });

const formatMs = (seconds: number) => String(Number((seconds * 1000).toPrecision(6)));

/** Throws unless `thresholdMs` is a bucket bound, naming the bounds nearest to it. */
function checkThreshold(thresholdMs: number, file: string): void {
  const seconds = thresholdMs / 1000;
  if (LATENCY_SLO_BOUNDS_SECONDS.some((b) => Math.abs(b - seconds) <= b * 1e-9)) return;
  const below = LATENCY_SLO_BOUNDS_SECONDS.filter((b) => b < seconds).at(-1);
  const above = LATENCY_SLO_BOUNDS_SECONDS.find((b) => b > seconds);
  const nearest = [below, above]
    .filter((b) => b !== undefined)
    .map((b) => formatMs(b!))
    .join(' or ');
  throw new ConfigError(
    `${file}: slo.latency.threshold_ms ${thresholdMs} is not a bucket bound of inferd_request_duration_seconds, so ` +
      `Prometheus could not count the requests under it; use ${nearest} (allowed: ${LATENCY_SLO_BOUNDS_SECONDS.map(formatMs).join(', ')})`,
  );
}

/** Parses and validates the `slo:` section of a model config. Errors name the file and the field. */
export function parseSloConfig(raw: unknown, file: string): SloConfig {
  const parsed = sloYamlSchema.safeParse(raw, PARSE_ONCE);
  if (!parsed.success) throw new ConfigError(`${file}: invalid slo:\n${z.prettifyError(parsed.error)}`);
  const s = parsed.data;
  if (s.latency) checkThreshold(s.latency.threshold_ms, file);
  return Object.freeze({
    ...(s.availability !== undefined ? { availability: s.availability } : {}),
    ...(s.latency
      ? { latency: Object.freeze({ thresholdMs: s.latency.threshold_ms, percentile: s.latency.percentile }) }
      : {}),
    windowDays: s.window_days,
  });
}
