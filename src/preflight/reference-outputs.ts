/**
 * Reference outputs shipped with a model version: `<version>/validation/*.json`, one request each, with the
 * outputs it must produce.
 *
 * ```json
 * {
 *   "description": "first 4 rows of the test split, logits from the training framework",
 *   "request": { "inputs": [{ "name": "input", "datatype": "FP32", "shape": [4, 64], "data": [...] }] },
 *   "expected": { "outputs": [{ "name": "logits", "shape": [4, 10], "data": [...] }, { "name": "label", "data": [0, 4, 1, 9] }] },
 *   "tolerance": { "absolute": 1e-4, "relative": 1e-4 }
 * }
 * ```
 *
 * `request` is a V2 JSON inference request, as `POST /v2/models/{m}/infer` takes it. Each expected output names
 * an output of the answer; `shape` is compared when given; `data` may be flat or nested. Numbers match when
 * |actual − expected| ≤ absolute + relative × |expected| (`tolerance` at the top, or per output); strings and
 * booleans match exactly. Default tolerance: absolute 1e-5, relative 1e-5.
 */
import { z } from 'zod';
import { PARSE_ONCE } from '../config/parse-once.js';

export const VALIDATION_FOLDER = 'validation';

const toleranceSchema = z.strictObject({
  absolute: z.number().min(0).default(1e-5),
  relative: z.number().min(0).default(1e-5),
});

const referenceSchema = z.strictObject({
  description: z.string().optional(),
  request: z.looseObject({ inputs: z.array(z.unknown()).min(1) }),
  expected: z.strictObject({
    outputs: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          datatype: z.string().optional(),
          shape: z.array(z.number().int().min(0)).optional(),
          data: z.array(z.unknown()),
          tolerance: toleranceSchema.optional(),
        }),
      )
      .min(1),
  }),
  tolerance: toleranceSchema.prefault({}),
});

export type ReferenceCase = z.output<typeof referenceSchema>;
type Tolerance = z.output<typeof toleranceSchema>;

/** An answer's output as V2 JSON shows it. */
export interface JsonOutput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data?: readonly unknown[];
}

/** Parses a reference file; throws an Error naming the file and the field at fault. */
export function parseReferenceCase(text: string, file: string): ReferenceCase {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = referenceSchema.safeParse(value, PARSE_ONCE);
  if (!parsed.success)
    throw new Error(
      `${file} is not a reference file (${z.prettifyError(parsed.error).replace(/\n/g, '; ')}); expected {"request": {...}, "expected": {"outputs": [...]}, "tolerance": {...}}`,
    );
  return parsed.data;
}

function flatten(data: readonly unknown[]): unknown[] {
  return data.flatMap((v) => (Array.isArray(v) ? flatten(v) : [v]));
}

function elementProblem(actual: unknown, expected: unknown, t: Tolerance): string | undefined {
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return `is ${JSON.stringify(actual)}, expected the number ${expected}`;
    const allowed = t.absolute + t.relative * Math.abs(expected);
    const off = Math.abs(actual - expected);
    return off <= allowed
      ? undefined
      : `is ${actual}, expected ${expected} (off by ${off.toPrecision(3)}, allowed ${allowed.toPrecision(3)})`;
  }
  return actual === expected ? undefined : `is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
}

/** What differs between an answer's outputs and the expected ones: one sentence per output at fault. */
export function compareOutputs(actual: readonly JsonOutput[], c: ReferenceCase): string[] {
  const problems: string[] = [];
  for (const want of c.expected.outputs) {
    const got = actual.find((o) => o.name === want.name);
    if (!got) {
      problems.push(
        `output '${want.name}' is missing (the answer has ${actual.map((o) => o.name).join(', ') || 'no outputs'})`,
      );
      continue;
    }
    if (want.shape && want.shape.join(',') !== got.shape.join(',')) {
      problems.push(`output '${want.name}' has shape [${got.shape.join(', ')}], expected [${want.shape.join(', ')}]`);
      continue;
    }
    const [a, e] = [flatten(got.data ?? []), flatten(want.data)];
    if (a.length !== e.length) {
      problems.push(`output '${want.name}' has ${a.length} values, expected ${e.length}`);
      continue;
    }
    const tolerance = want.tolerance ?? c.tolerance;
    const bad = e.map((x, i) => [i, elementProblem(a[i], x, tolerance)] as const).filter(([, p]) => p !== undefined);
    if (bad.length)
      problems.push(
        `output '${want.name}': ${bad.length} of ${e.length} values differ; element ${bad[0][0]} ${bad[0][1]}`,
      );
  }
  return problems;
}
