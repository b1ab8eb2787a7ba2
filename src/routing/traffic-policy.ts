/**
 * A model's traffic policy: weights per version (or none: the highest ready version answers), the request
 * parameter hashed for sticky assignment, an optional shadow, and the versions a rollout marked failed.
 * Declared in config.yaml (`traffic:`) and replaced at run time through the API or by a rollout.
 */
import { z } from 'zod';
import { DEFAULT_STICKY_PARAMETER, shadowSchema, type TrafficConfig } from '../config/index.js';
import { VERSION_LABEL_PATTERN } from '../config/version-label.js';
import { InvalidArgumentError } from '../errors/index.js';
import { PARSE_ONCE } from '../config/parse-once.js';

export { DEFAULT_STICKY_PARAMETER };

export interface ShadowPolicy {
  readonly version: number;
  /** Share of requests mirrored, 0..1. */
  readonly sampleRate: number;
}

/** Two versions whose answers a rollout compares on the same requests, and the share of requests mirrored. */
export interface PairingPolicy {
  readonly stable: number;
  readonly candidate: number;
  /** Share of each version's answered requests mirrored to the other, 0..1. */
  readonly sampleRate: number;
}

export interface TrafficPolicy {
  /** Percent per version; undefined: the highest ready version answers every request that names none. */
  readonly weights?: ReadonlyMap<number, number> | undefined;
  readonly stickyParameter: string;
  readonly shadow?: ShadowPolicy | undefined;
  /** Versions rolled back by a rollout: no traffic unless a URL names them. */
  readonly failed: ReadonlySet<number>;
}

export const DEFAULT_POLICY: TrafficPolicy = Object.freeze({
  stickyParameter: DEFAULT_STICKY_PARAMETER,
  failed: new Set<number>(),
});

function toWeights(record: Readonly<Record<string, number>>): Map<number, number> {
  return new Map(Object.entries(record).map(([v, w]) => [Number(v), w]));
}

/** The policy a model's config declares. */
export function policyFromConfig(config: TrafficConfig | undefined): TrafficPolicy {
  if (!config) return DEFAULT_POLICY;
  return {
    weights: config.weights && toWeights(config.weights),
    stickyParameter: config.stickyParameter ?? DEFAULT_STICKY_PARAMETER,
    shadow: config.shadow,
    failed: new Set(),
  };
}

/** A change asked for through the API: absent fields stay as they are, null clears. */
export interface TrafficUpdate {
  readonly weights?: ReadonlyMap<number, number> | null | undefined;
  readonly stickyParameter?: string | undefined;
  readonly shadow?: ShadowPolicy | null | undefined;
}

const updateSchema = z.strictObject({
  weights: z
    .record(z.string().regex(VERSION_LABEL_PATTERN, 'keys are version numbers'), z.number().min(0).max(100))
    .nullable()
    .optional(),
  sticky_parameter: z.string().min(1).max(64).optional(),
  shadow: shadowSchema.nullable().optional(),
});

/** Weights are percents: they must sum to 100 (a rounding error of a millionth is let through). */
function checkWeightSum(weights: Readonly<Record<string, number>>): void {
  const sum = Object.values(weights).reduce((a, w) => a + w, 0);
  if (Math.abs(sum - 100) <= 1e-6) return;
  const terms = Object.entries(weights)
    .map(([v, w]) => `${w} (version ${v})`)
    .join(' + ');
  throw new InvalidArgumentError(
    `invalid traffic policy: weights are percents of the traffic and must sum to 100, got ${terms} = ${Number(sum.toFixed(6))}`,
  );
}

/**
 * Refuses an update that names versions the model does not have: a weight on one would send its share of traffic
 * nowhere, a shadow would mirror to nothing. `known`: the model's versions (loaded or refused, as the index lists them).
 */
export function checkUpdateVersions(model: string, update: TrafficUpdate, known: ReadonlySet<number>): void {
  const have = () => [...known].sort((a, b) => a - b).join(', ') || 'none';
  const unknown = [...(update.weights?.keys() ?? [])].filter((v) => !known.has(v));
  if (unknown.length)
    throw new InvalidArgumentError(
      `invalid traffic policy: model '${model}' has no version ${unknown.join(', ')}; weights may name its versions only (${have()})`,
    );
  if (update.shadow && !known.has(update.shadow.version)) {
    throw new InvalidArgumentError(
      `invalid traffic policy: model '${model}' has no version ${update.shadow.version} to mirror requests to (its versions: ${have()})`,
    );
  }
}

/** Validates `POST /v1/models/{m}/traffic`'s body. */
export function parseTrafficUpdate(body: unknown): TrafficUpdate {
  const parsed = updateSchema.safeParse(body ?? {}, PARSE_ONCE);
  if (!parsed.success)
    throw new InvalidArgumentError(`invalid traffic policy: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  const u = parsed.data;
  if (u.weights && !Object.values(u.weights).some((w) => w > 0)) {
    throw new InvalidArgumentError(
      'invalid traffic policy: at least one version needs a weight above 0 (send "weights": null to let the highest ready version answer)',
    );
  }
  if (u.weights) checkWeightSum(u.weights);
  return {
    weights: u.weights === undefined ? undefined : u.weights && toWeights(u.weights),
    stickyParameter: u.sticky_parameter,
    shadow:
      u.shadow === undefined ? undefined : u.shadow && { version: u.shadow.version, sampleRate: u.shadow.sample_rate },
  };
}

/** The policy after an update. Versions given weight again are no longer marked failed. */
export function applyUpdate(policy: TrafficPolicy, update: TrafficUpdate): TrafficPolicy {
  const weights = update.weights === undefined ? policy.weights : (update.weights ?? undefined);
  const revived = [...(update.weights?.entries() ?? [])].filter(([, w]) => w > 0).map(([v]) => v);
  return {
    weights,
    stickyParameter: update.stickyParameter ?? policy.stickyParameter,
    shadow: update.shadow === undefined ? policy.shadow : (update.shadow ?? undefined),
    failed: new Set([...policy.failed].filter((v) => !revived.includes(v))),
  };
}

/** Per-model policies: the config's until the API or a rollout sets one. */
export class TrafficTable {
  private readonly overrides = new Map<string, TrafficPolicy>();
  private readonly fromConfig = new WeakMap<TrafficConfig, TrafficPolicy>();

  constructor(private readonly configOf: (model: string) => TrafficConfig | undefined) {}

  policy(model: string): TrafficPolicy {
    const set = this.overrides.get(model);
    if (set) return set;
    const config = this.configOf(model);
    if (!config) return DEFAULT_POLICY;
    let p = this.fromConfig.get(config);
    if (!p) this.fromConfig.set(config, (p = policyFromConfig(config)));
    return p;
  }

  set(model: string, policy: TrafficPolicy): void {
    this.overrides.set(model, policy);
  }
}
