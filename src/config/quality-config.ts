/**
 * The `quality:` block of the server config: live model quality from feedback labels (POST /v1/feedback), kept
 * beside the prediction log, so it needs `audit.enabled`.
 *
 * ```yaml
 * quality:
 *   windows: [1h, 24h]          # time windows (by label arrival) of GET /v1/models/{m}/quality and the metrics
 *   metrics_refresh_seconds: 30 # /metrics reuses a computed report for this long (0: compute at every scrape)
 *   max_batch: 10000            # most feedback items in one POST /v1/feedback
 *   max_labels: 100000          # most labels one report reads per model: the newest, when a window holds more
 *   max_windows: 10             # most windows one report may ask for (?windows=...); more: 400
 * ```
 */
import { z } from 'zod';
import { parseDurationMs } from '../lib/duration.js';

const duration = z
  .string()
  .refine((s) => parseDurationMs(s) !== undefined, 'a duration: a number and a unit (ms, s, m, h, d), e.g. 1h or 24h');

export const qualityConfigSchema = z
  .strictObject({
    windows: z.array(duration).min(1).default(['1h', '24h']),
    metrics_refresh_seconds: z.number().min(0).default(30),
    max_batch: z.number().int().min(1).default(10_000),
    max_labels: z.number().int().min(1).default(100_000),
    max_windows: z.number().int().min(1).max(100).default(10),
  })
  .refine((q) => q.windows.length <= q.max_windows, {
    message: 'quality.windows lists more windows than quality.max_windows allows; list fewer or raise max_windows',
    path: ['windows'],
  });

export type QualityConfigFile = z.input<typeof qualityConfigSchema>;

/** A time window as written (`name`, e.g. '24h') and its length. */
export interface QualityWindowSpec {
  readonly name: string;
  readonly ms: number;
}

export interface QualityConfig {
  readonly windows: readonly QualityWindowSpec[];
  readonly metricsRefreshSeconds: number;
  readonly maxBatch: number;
  /** Most labels a report reads per model (the newest); a window holding more is reported as truncated. */
  readonly maxLabels: number;
  /** Most windows one report may ask for (the configured ones count too). */
  readonly maxWindows: number;
}

/** The parsed `quality:` block as the server uses it. */
export function toQualityConfig(q: z.output<typeof qualityConfigSchema>): QualityConfig {
  return Object.freeze({
    windows: Object.freeze(q.windows.map((w) => Object.freeze({ name: w.trim(), ms: parseDurationMs(w)! }))),
    metricsRefreshSeconds: q.metrics_refresh_seconds,
    maxBatch: q.max_batch,
    maxLabels: q.max_labels,
    maxWindows: q.max_windows,
  });
}
