/**
 * The lifecycle sections of `config.yaml`: `warmup` (before a version takes traffic) and `traffic` (weights,
 * sticky key, shadow).
 *
 * ```yaml
 * warmup: { iterations: 2, batch_sizes: [1, 8] }      # or false
 * traffic:
 *   weights: { 1: 90, 2: 10 }                         # percent per version
 *   sticky_parameter: user_id                         # hashed to keep one caller on one version
 *   shadow: { version: 2, sample_rate: 0.1 }          # mirrored off the caller's path
 * ```
 */
import { z } from 'zod';
import type { TrafficConfig, WarmupConfig } from './model-config.js';
import { VERSION_LABEL_PATTERN } from './version-label.js';

export const warmupSchema = z.union([
  z.boolean(),
  z.strictObject({
    enabled: z.boolean().optional(),
    iterations: z.number().int().min(1).max(100).optional(),
    batch_sizes: z.array(z.number().int().min(1)).min(1).optional(),
  }),
]);

/** Version numbers as keys ("1" or 1 in YAML) → percent; the percents sum to 100 (a millionth of rounding let through). */
const weightsSchema = z
  .record(z.string().regex(VERSION_LABEL_PATTERN, 'keys are version numbers'), z.number().min(0).max(100))
  .refine((w) => Math.abs(Object.values(w).reduce((a, x) => a + x, 0) - 100) <= 1e-6, {
    error: (issue) => {
      const w = issue.input as Record<string, number>;
      const terms = Object.entries(w)
        .map(([v, x]) => `${x} (version ${v})`)
        .join(' + ');
      const sum = Object.values(w).reduce((a, x) => a + x, 0);
      return `weights are percents of the traffic and must sum to 100, got ${terms || 'none'} = ${Number(sum.toFixed(6))}`;
    },
  });

export const shadowSchema = z.strictObject({
  version: z.number().int().min(1),
  sample_rate: z.number().min(0).max(1),
});

export const trafficSchema = z.strictObject({
  weights: weightsSchema.optional(),
  sticky_parameter: z.string().min(1).max(64).optional(),
  shadow: shadowSchema.optional(),
});

/** config.yaml `warmup` → the source config's warm-up settings. */
export function toWarmup(w: z.infer<typeof warmupSchema> | undefined): Partial<WarmupConfig> | undefined {
  if (w === undefined) return undefined;
  if (typeof w === 'boolean') return { enabled: w };
  return Object.fromEntries(
    Object.entries({ enabled: w.enabled, iterations: w.iterations, batchSizes: w.batch_sizes }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as Partial<WarmupConfig>;
}

/** config.yaml `traffic` → the model's declared traffic policy. */
export function toTraffic(t: z.infer<typeof trafficSchema> | undefined): TrafficConfig | undefined {
  if (t === undefined) return undefined;
  return {
    weights: t.weights,
    stickyParameter: t.sticky_parameter,
    shadow: t.shadow && { version: t.shadow.version, sampleRate: t.shadow.sample_rate },
  };
}
