/**
 * Post-processing a model config declares: class labels per output (Triton's `label_filename`, one label per line,
 * read once at load) and a decision threshold for binary classifiers, set in `parameters`:
 *
 * ```yaml
 * parameters:
 *   threshold: 0.7                  # a score at or above it is the positive class
 *   threshold_output: probabilities # the output holding the scores (default: see defaultScoreOutput)
 *   threshold_class: 1              # the positive class: its column in a two-column output (default 1)
 * ```
 *
 * The decision is answered as the INT64 output `label` ([N] for batching models), replacing the model's own
 * `label` output when it has one.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ConfigError } from '../errors/index.js';
import { formatShape, type TensorSpec } from '../tensor/index.js';
import type { DeclaredThreshold } from './declared-model-config.js';

/** A binary classifier's decision threshold, checked against the model's outputs at load. */
export interface ThresholdConfig {
  /** The output holding the scores: one column (the positive class's score) or two (one per class). */
  readonly output: string;
  /** A score at or above this gives the positive class. */
  readonly value: number;
  /** The positive class (0 or 1): its column in a two-column output, and the label it gets. */
  readonly positiveClass: 0 | 1;
  /** The output the decision is written to. */
  readonly labelOutput: string;
}

/** The INT64 output a threshold writes its decision to. */
export const THRESHOLD_LABEL_OUTPUT = 'label';

const NON_NUMERIC = new Set(['BYTES', 'BOOL']);

function defaultScoreOutput(outputs: readonly TensorSpec[], where: string): string {
  const scored = outputs.filter(
    (o) => !NON_NUMERIC.has(o.datatype) && o.name !== THRESHOLD_LABEL_OUTPUT && o.name !== 'treeshap_output',
  );
  if (scored.length === 1) return scored[0].name;
  if (scored.some((o) => o.name === 'probabilities')) return 'probabilities';
  throw new ConfigError(
    `${where}: parameter 'threshold' needs 'threshold_output' to say which output holds the scores (outputs: ${outputs.map((o) => o.name).join(', ')})`,
  );
}

function checkScoreOutput(
  spec: TensorSpec | undefined,
  name: string,
  outputs: readonly TensorSpec[],
  batching: boolean,
  where: string,
): void {
  if (!spec)
    throw new ConfigError(
      `${where}: threshold_output '${name}' is not an output of the model; its outputs are: ${outputs.map((o) => o.name).join(', ')}`,
    );
  if (NON_NUMERIC.has(spec.datatype))
    throw new ConfigError(`${where}: threshold_output '${name}' is ${spec.datatype}; a threshold needs numeric scores`);
  // A non-batching model's rows are its output's first dimension (when it has two or more).
  const rowDims = batching || spec.dims.length < 2 ? spec.dims : spec.dims.slice(1);
  const width = rowDims.reduce((n, d) => (d < 0 || n < 0 ? -1 : n * d), 1);
  if (width > 2) {
    throw new ConfigError(
      `${where}: threshold_output '${name}' has dims ${formatShape(spec.dims)} (${width} values per row); a threshold needs a binary classifier's 1 or 2 scores per row`,
    );
  }
}

function parseNumber(text: string | undefined, key: string, where: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    throw new ConfigError(`${where}: parameter '${key}' must be a number, got '${text}'`);
  return n;
}

/**
 * Reads `threshold`, `threshold_output` and `threshold_class` from a model's declared parameters, with the positive
 * class defaulting to 1. Undefined when the model sets no threshold. The score output is checked at completion.
 */
export function declareThreshold(
  parameters: Readonly<Record<string, string>>,
  where: string,
): DeclaredThreshold | undefined {
  const value = parseNumber(parameters.threshold, 'threshold', where);
  if (value === undefined) {
    const stray = ['threshold_output', 'threshold_class'].find((k) => parameters[k] !== undefined);
    if (stray)
      throw new ConfigError(`${where}: parameter '${stray}' is set but 'threshold' is not; add threshold (e.g. 0.5)`);
    return undefined;
  }
  const positiveClass = parseNumber(parameters.threshold_class, 'threshold_class', where) ?? 1;
  if (positiveClass !== 0 && positiveClass !== 1)
    throw new ConfigError(`${where}: parameter 'threshold_class' must be 0 or 1, got '${parameters.threshold_class}'`);
  const output = parameters.threshold_output;
  return { value, positiveClass, ...(output === undefined ? {} : { output }) };
}

/** A declared threshold against the model's outputs: its score output chosen (when undeclared) and checked. */
export function resolveThreshold(
  declared: DeclaredThreshold,
  outputs: readonly TensorSpec[],
  batching: boolean,
  where: string,
): ThresholdConfig {
  const output = declared.output ?? defaultScoreOutput(outputs, where);
  checkScoreOutput(
    outputs.find((o) => o.name === output),
    output,
    outputs,
    batching,
    where,
  );
  const existing = outputs.find((o) => o.name === THRESHOLD_LABEL_OUTPUT);
  if (existing && existing.datatype !== 'INT64') {
    throw new ConfigError(
      `${where}: a threshold writes its decision to an INT64 output '${THRESHOLD_LABEL_OUTPUT}', but the model's '${THRESHOLD_LABEL_OUTPUT}' is ${existing.datatype}`,
    );
  }
  return { output, value: declared.value, positiveClass: declared.positiveClass, labelOutput: THRESHOLD_LABEL_OUTPUT };
}

/** The lines of a label file: line i labels class i. A final newline does not add an empty label. */
export function parseLabels(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function labelPath(modelDir: string, file: string, where: string): string {
  const clean = normalize(file);
  if (isAbsolute(clean) || clean === '..' || clean.startsWith(`..${sep}`)) {
    throw new ConfigError(
      `${where}: label_filename '${file}' must be a file inside the model's folder (a relative path without '..')`,
    );
  }
  return join(modelDir, clean);
}

/** Reads every declared label file (paths relative to the model's folder), once, at load. */
export async function readLabelFiles(
  modelDir: string,
  filenames: Readonly<Record<string, string>> | undefined,
  where: string,
): Promise<Record<string, string[]> | undefined> {
  const entries = Object.entries(filenames ?? {});
  if (entries.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const [output, file] of entries) {
    const path = labelPath(modelDir, file, where);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `${where}: cannot read label_filename '${file}' of output '${output}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); put the file in ${modelDir}`,
      );
    }
    out[output] = parseLabels(text);
  }
  return out;
}
