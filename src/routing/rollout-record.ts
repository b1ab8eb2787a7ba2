/**
 * Rollouts and traffic policies as JSON for a store, and back. Reading checks the shape, so a damaged or
 * foreign database is refused with a reason instead of producing a half-built rollout.
 */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import type { Rollout } from './rollout.js';
import type { TrafficPolicy } from './traffic-policy.js';
import { PARSE_ONCE } from '../config/parse-once.js';

const decisionSchema = z.looseObject({
  action: z.string(),
  at: z.number(),
  reason: z.string(),
  failed: z.array(z.string()),
  checks: z.array(z.looseObject({ check: z.string(), status: z.string() })),
  by: z.enum(['analysis', 'operator']),
});

const rolloutSchema = z.looseObject({
  id: z.string().min(1),
  model: z.string().min(1),
  spec: z.looseObject({
    candidate: z.number().int(),
    stable: z.number().int().optional(),
    steps: z.array(z.number()).min(1),
    intervalMs: z.number().int().positive(),
    checks: z.looseObject({}),
    shadow: z.looseObject({ sampleRate: z.number() }).optional(),
  }),
  stable: z.number().int(),
  status: z.enum(['progressing', 'paused', 'succeeded', 'failed', 'aborted']),
  stepIndex: z.number().int().min(0),
  weight: z.number(),
  startedAt: z.number(),
  stepStartedAt: z.number(),
  reviewAt: z.number(),
  finishedAt: z.number().optional(),
  lastDecision: decisionSchema.optional(),
});

const policySchema = z.strictObject({
  weights: z.record(z.string(), z.number()).nullable(),
  sticky_parameter: z.string(),
  shadow: z.strictObject({ version: z.number().int(), sample_rate: z.number() }).nullable(),
  failed: z.array(z.number().int()),
});

function parse<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `${what} is not valid JSON (${(err as Error).message}); the rollout store is damaged: restore it or move it aside`,
      { cause: err },
    );
  }
  const parsed = schema.safeParse(value, PARSE_ONCE);
  if (!parsed.success)
    throw new ConfigError(
      `${what} has an unexpected shape (${z.prettifyError(parsed.error).replace(/\n/g, '; ')}); the rollout store is damaged or from another inferd version`,
    );
  return parsed.data;
}

export function rolloutToJson(r: Rollout): string {
  return JSON.stringify(r);
}

export function rolloutFromJson(text: string, what: string): Rollout {
  // The schema checks what the controller relies on; the rest (check thresholds, check results) is kept as written.
  return parse(rolloutSchema, text, what) as unknown as Rollout;
}

export function policyToJson(p: TrafficPolicy): string {
  return JSON.stringify({
    weights: p.weights ? Object.fromEntries(p.weights) : null,
    sticky_parameter: p.stickyParameter,
    shadow: p.shadow ? { version: p.shadow.version, sample_rate: p.shadow.sampleRate } : null,
    failed: [...p.failed],
  });
}

export function policyFromJson(text: string, what: string): TrafficPolicy {
  const p = parse(policySchema, text, what);
  return {
    weights: p.weights ? new Map(Object.entries(p.weights).map(([v, w]) => [Number(v), w])) : undefined,
    stickyParameter: p.sticky_parameter,
    shadow: p.shadow ? { version: p.shadow.version, sampleRate: p.shadow.sample_rate } : undefined,
    failed: new Set(p.failed),
  };
}
