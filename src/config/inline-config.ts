/**
 * Inline execution: a model whose measured compute time is below a threshold runs a lone request on the main thread
 * instead of handing it to its worker thread (the hop costs more than such a model computes). Declared per model in
 * `config.yaml`, with the threshold's default in the server config.
 *
 * ```yaml
 * inline_execution: { enabled: true, max_compute_microseconds: 100 }   # or false
 * ```
 *
 * Server config: `inline_execution: { enabled: true, max_compute_microseconds: 100 }` (the default for models that
 * name no threshold; `enabled: false` turns it off for every model).
 */
import { z } from 'zod';

/**
 * The highest threshold a config may set: a request run inline holds the event loop for its compute time, and
 * nothing may hold it for more than a few milliseconds.
 */
export const MAX_INLINE_COMPUTE_MICROSECONDS = 2000;

/**
 * The server's default threshold: models that compute in tens of µs, for which the hop to a worker and back (tens to
 * hundreds of µs on a busy machine) costs more than the model; the event loop is held for at most about this long.
 */
export const DEFAULT_INLINE_COMPUTE_MICROSECONDS = 100;

const inlineFields = {
  enabled: z.boolean().optional(),
  max_compute_microseconds: z.number().int().min(0).max(MAX_INLINE_COMPUTE_MICROSECONDS).optional(),
};

/** `inline_execution` in a model's config.yaml. */
export const inlineExecutionSchema = z.union([z.boolean(), z.strictObject(inlineFields)]);

/** `inline_execution` in the server config. */
export const serverInlineExecutionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  max_compute_microseconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_INLINE_COMPUTE_MICROSECONDS)
    .default(DEFAULT_INLINE_COMPUTE_MICROSECONDS),
});

/** A model's inline-execution settings as declared (the threshold absent: the server's default). */
export interface DeclaredInlineExecution {
  readonly enabled: boolean;
  readonly maxComputeMicroseconds?: number;
}

/** The server's inline-execution defaults. */
export interface InlineExecutionDefaults {
  readonly enabled: boolean;
  readonly maxComputeMicroseconds: number;
}

export const DEFAULT_INLINE_EXECUTION: InlineExecutionDefaults = Object.freeze({
  enabled: true,
  maxComputeMicroseconds: DEFAULT_INLINE_COMPUTE_MICROSECONDS,
});

/** config.yaml `inline_execution` → the declared settings (absent: enabled, the server's threshold). */
export function toInlineExecution(v: z.infer<typeof inlineExecutionSchema> | undefined): DeclaredInlineExecution {
  if (v === undefined) return { enabled: true };
  if (typeof v === 'boolean') return { enabled: v };
  return {
    enabled: v.enabled ?? true,
    ...(v.max_compute_microseconds === undefined ? {} : { maxComputeMicroseconds: v.max_compute_microseconds }),
  };
}

/** The server config's section → its defaults. */
export function toInlineExecutionDefaults(v: z.infer<typeof serverInlineExecutionSchema>): InlineExecutionDefaults {
  return Object.freeze({ enabled: v.enabled, maxComputeMicroseconds: v.max_compute_microseconds });
}

/** What a version's settings come to under the server's defaults: the threshold in µs, or undefined when off. */
export function inlineThresholdMicroseconds(
  declared: DeclaredInlineExecution,
  defaults: InlineExecutionDefaults,
): number | undefined {
  if (!declared.enabled || !defaults.enabled) return undefined;
  return declared.maxComputeMicroseconds ?? defaults.maxComputeMicroseconds;
}
