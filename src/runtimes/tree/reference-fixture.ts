// Test helper (not a test file): loads the XGBoost fixtures of test/fixtures/xgboost/.
import { readdirSync, readFileSync } from 'node:fs';

/** Repository root, from dist/src/runtimes/tree/ (compiled) four levels up. */
const ROOT = new URL('../../../../', import.meta.url);
const FIXTURES = new URL('test/fixtures/xgboost/', ROOT);

type Nested = number | Nested[];

/** Reference outputs written by scripts/fixtures/make_xgboost_models.py. */
export interface ReferenceFixture {
  readonly name: string;
  readonly modelText: string;
  readonly objective: string;
  readonly rows: number;
  readonly cols: number;
  /** Row-major float32 inputs, NaN for missing. */
  readonly features: Float32Array;
  readonly predictions: Float64Array;
  readonly margins: Float64Array;
  readonly contributions: Float64Array;
}

/** Flattens nested JSON number arrays (row-major). */
function flat(value: Nested): Float64Array {
  const out: number[] = [];
  const visit = (v: Nested): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else out.push(v);
  };
  visit(value);
  return Float64Array.from(out);
}

/** Names of all fixture directories. */
export function listFixtures(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Loads one fixture's model text and reference outputs. */
export function loadReferenceFixture(name: string): ReferenceFixture {
  const dir = new URL(`${name}/`, FIXTURES);
  const ref = JSON.parse(readFileSync(new URL('reference.json', dir), 'utf8')) as {
    objective: string;
    num_rows: number;
    num_features: number;
    inputs: (number | null)[][];
    predictions: Nested;
    margins: Nested;
    contributions: Nested;
  };
  return {
    name,
    modelText: readFileSync(new URL('model.json', dir), 'utf8'),
    objective: ref.objective,
    rows: ref.num_rows,
    cols: ref.num_features,
    features: Float32Array.from(ref.inputs.flat(), (v) => (v === null ? NaN : v)),
    predictions: flat(ref.predictions),
    margins: flat(ref.margins),
    contributions: flat(ref.contributions),
  };
}

/** Largest absolute difference between two equally long arrays (throws on length mismatch). */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != expected ${expected.length}`);
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= max)) max = d; // also propagates NaN
  }
  return max;
}
