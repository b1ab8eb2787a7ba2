/**
 * A baseline profile: the reference distributions of a model version's input features and predictions, made
 * by `inferd profile` from training data and read by the drift monitor. Stored as `profile.json` in the version
 * folder; this module is its shape and its JSON form (snake_case, versioned). Pure: no I/O.
 */
import { z } from 'zod';
import { PARSE_ONCE } from '../config/parse-once.js';

export type FeatureKind = 'numeric' | 'categorical';

/** How a prediction feature is read from an output's per-row values. */
export type PredictionReduce = 'value' | 'class1' | 'argmax';

export interface FeatureProfile {
  readonly name: string;
  readonly kind: FeatureKind;
  /** Numeric: the right-closed bins' cut points (see quantile-bins.ts). */
  readonly cuts?: readonly number[] | undefined;
  /** Categorical: the values seen, as strings ("0", "1"); live values outside them count in an extra "other" bin. */
  readonly categories?: readonly string[] | undefined;
  /** Fraction of the non-missing values per bin (numeric) or per category (categorical). */
  readonly fractions: readonly number[];
  /** Fraction of rows whose value is missing (NaN, an empty CSV cell, a JSON null). */
  readonly missingRate: number;
  /** Non-missing values seen. */
  readonly count: number;
  readonly mean?: number | undefined;
  readonly std?: number | undefined;
}

export interface InputFeatureProfile extends FeatureProfile {
  /** The feature's column in the model's input tensor (row-major [rows, columns]). */
  readonly column: number;
}

export interface PredictionProfile extends FeatureProfile {
  readonly output: string;
  readonly reduce: PredictionReduce;
}

export interface Profile {
  readonly model: string;
  readonly version: string;
  /** The profiled input tensor and its columns per row. */
  readonly input: string;
  readonly columns: number;
  readonly rows: number;
  readonly createdAt: string;
  /** The data file it was computed from. */
  readonly source: string;
  readonly features: readonly InputFeatureProfile[];
  readonly predictions: readonly PredictionProfile[];
}

export const PROFILE_FILE = 'profile.json';
const FORMAT = 'inferd-profile/1';

const featureJson = z.object({
  name: z.string().min(1),
  kind: z.enum(['numeric', 'categorical']),
  cuts: z.array(z.number()).optional(),
  categories: z.array(z.string()).optional(),
  fractions: z.array(z.number().min(0).max(1)),
  missing_rate: z.number().min(0).max(1),
  count: z.number().int().min(0),
  mean: z.number().optional(),
  std: z.number().optional(),
});

const profileJson = z.object({
  format: z.literal(FORMAT),
  model: z.string(),
  version: z.string(),
  input: z.string(),
  columns: z.number().int().min(1),
  rows: z.number().int().min(0),
  created_at: z.string(),
  source: z.string(),
  features: z.array(featureJson.extend({ column: z.number().int().min(0) })),
  predictions: z.array(featureJson.extend({ output: z.string(), reduce: z.enum(['value', 'class1', 'argmax']) })),
});

type FeatureJson = z.infer<typeof featureJson>;

function featureToJson(f: FeatureProfile): FeatureJson {
  return {
    name: f.name,
    kind: f.kind,
    ...(f.cuts ? { cuts: [...f.cuts] } : {}),
    ...(f.categories ? { categories: [...f.categories] } : {}),
    fractions: [...f.fractions],
    missing_rate: f.missingRate,
    count: f.count,
    ...(f.mean !== undefined ? { mean: f.mean, std: f.std } : {}),
  };
}

function featureFromJson(f: FeatureJson, where: string): FeatureProfile {
  const bins = f.kind === 'numeric' ? (f.cuts?.length ?? -1) + 1 : (f.categories?.length ?? -1);
  if (bins !== f.fractions.length) {
    throw new Error(
      `${where}: feature '${f.name}' has ${f.fractions.length} fractions for ${bins < 0 ? 'no' : bins} ${f.kind === 'numeric' ? 'bins (cuts)' : 'categories'}`,
    );
  }
  return {
    name: f.name,
    kind: f.kind,
    cuts: f.cuts,
    categories: f.categories,
    fractions: f.fractions,
    missingRate: f.missing_rate,
    count: f.count,
    mean: f.mean,
    std: f.std,
  };
}

/** The JSON text of a profile. */
export function profileToJson(p: Profile): string {
  const body = {
    format: FORMAT,
    model: p.model,
    version: p.version,
    input: p.input,
    columns: p.columns,
    rows: p.rows,
    created_at: p.createdAt,
    source: p.source,
    features: p.features.map((f) => ({ ...featureToJson(f), column: f.column })),
    predictions: p.predictions.map((f) => ({ ...featureToJson(f), output: f.output, reduce: f.reduce })),
  };
  return `${JSON.stringify(body, null, 1)}\n`;
}

/** Parses a profile's JSON text; throws an Error naming `where` and what is wrong. */
export function profileFromJson(text: string, where: string): Profile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message}); regenerate it with inferd profile`, {
      cause: err,
    });
  }
  const parsed = profileJson.safeParse(raw, PARSE_ONCE);
  if (!parsed.success)
    throw new Error(
      `${where}: not an inferd profile (${FORMAT}):\n${z.prettifyError(parsed.error)}\nregenerate it with inferd profile`,
    );
  const p = parsed.data;
  return {
    model: p.model,
    version: p.version,
    input: p.input,
    columns: p.columns,
    rows: p.rows,
    createdAt: p.created_at,
    source: p.source,
    features: p.features.map((f) => ({ ...featureFromJson(f, where), column: f.column })),
    predictions: p.predictions.map((f) => ({ ...featureFromJson(f, where), output: f.output, reduce: f.reduce })),
  };
}
