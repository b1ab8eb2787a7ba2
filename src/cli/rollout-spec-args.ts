/**
 * The body of `inferd rollout start`: a spec file (the JSON POST /v1/models/{m}/rollouts takes) with flags laid
 * over it. The server validates the result and answers any mistake with the field at fault.
 */
import { readFileSync } from 'node:fs';
import { parseDurationMs as durationMs } from '../lib/duration.js';
import { UsageError } from './command-args.js';

export const CHECK_NAMES = [
  'error_rate',
  'p99_latency',
  'prediction_divergence',
  'paired_disagreement',
  'shadow_agreement',
] as const;

export const START_OPTIONS = {
  spec: { type: 'string' },
  candidate: { type: 'string' },
  stable: { type: 'string' },
  steps: { type: 'string' },
  interval: { type: 'string' },
  checks: { type: 'string' },
  'min-samples': { type: 'string' },
  'shadow-sample-rate': { type: 'string' },
} as const;

export interface StartValues {
  readonly spec?: string;
  readonly candidate?: string;
  readonly stable?: string;
  readonly steps?: string;
  readonly interval?: string;
  readonly checks?: string;
  readonly 'min-samples'?: string;
  readonly 'shadow-sample-rate'?: string;
}

function number(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got '${value}'`);
  return n;
}

/**
 * A duration with its unit: `90s`, `5m`, `1500ms`, `1h`. A bare number is refused, naming the units, because
 * `--interval 5` reads as five seconds to some and five milliseconds to others.
 */
export function parseDurationMs(value: string, flag: string): number {
  if (/^\s*\d+(\.\d+)?\s*$/.test(value))
    throw new UsageError(
      `${flag} needs a unit: ${value.trim()}s, ${value.trim()}m or ${value.trim()}ms (units: ms, s, m, h, d), got '${value}'`,
    );
  const ms = durationMs(value);
  if (ms === undefined) throw new UsageError(`${flag} must be a duration such as 90s, 5m or 1500ms, got '${value}'`);
  return Math.round(ms);
}

function readSpec(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --spec ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--spec ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`--spec ${path} must hold a JSON object (see 'inferd rollout --help')`);
  return value as Record<string, unknown>;
}

/** Check names from --checks, or those of the spec, or the server's defaults. */
function checkNames(values: StartValues, spec: Record<string, unknown>, shadow: boolean): string[] {
  if (values.checks !== undefined) {
    const names = values.checks
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.find((n) => !(CHECK_NAMES as readonly string[]).includes(n));
    if (unknown) throw new UsageError(`unknown check '${unknown}' in --checks; choose from ${CHECK_NAMES.join(', ')}`);
    return names;
  }
  const fromSpec = spec.checks as Record<string, unknown> | undefined;
  if (fromSpec && typeof fromSpec === 'object') return Object.keys(fromSpec);
  return [
    'error_rate',
    'p99_latency',
    'prediction_divergence',
    'paired_disagreement',
    ...(shadow ? ['shadow_agreement'] : []),
  ];
}

/** The checks object: the spec's thresholds for the named checks, with --min-samples over them. */
function checksOf(
  values: StartValues,
  spec: Record<string, unknown>,
  shadow: boolean,
): Record<string, unknown> | undefined {
  if (values.checks === undefined && values['min-samples'] === undefined)
    return spec.checks as Record<string, unknown> | undefined;
  const specChecks = (spec.checks ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const minSamples = values['min-samples'] === undefined ? undefined : number(values['min-samples'], '--min-samples');
  return Object.fromEntries(
    checkNames(values, spec, shadow).map((n) => [
      n,
      { ...specChecks[n], ...(minSamples === undefined ? {} : { min_samples: minSamples }) },
    ]),
  );
}

/** The rollout request body for the given flags (and --spec file). */
export function rolloutBody(values: StartValues): Record<string, unknown> {
  const spec = values.spec === undefined ? {} : readSpec(values.spec);
  const body: Record<string, unknown> = { ...spec };
  if (values.candidate !== undefined) body.candidate = number(values.candidate, '--candidate');
  if (values.stable !== undefined) body.stable = number(values.stable, '--stable');
  if (values.steps !== undefined) body.steps = values.steps.split(',').map((s) => number(s, '--steps'));
  if (values.interval !== undefined) body.interval_ms = parseDurationMs(values.interval, '--interval');
  if (values['shadow-sample-rate'] !== undefined)
    body.shadow = { sample_rate: number(values['shadow-sample-rate'], '--shadow-sample-rate') };
  const checks = checksOf(values, spec, body.shadow !== undefined);
  if (checks !== undefined) body.checks = checks;
  if (body.candidate === undefined)
    throw new UsageError(`'rollout start' needs the candidate version: --candidate N (or "candidate" in --spec)`);
  return body;
}
