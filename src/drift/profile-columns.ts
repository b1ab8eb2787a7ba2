/**
 * How the columns of a training-data file map to a model's input, for `inferd profile`. The model takes one
 * FP32 input [-1, N]:
 * - when the model names its features (`parameters.feature_names`, e.g. from an XGBoost file), each of them is
 *   read from the column of that name, in the model's order; other columns (a label) are ignored;
 * - otherwise the file's columns, minus those excluded (`--exclude label`), are the N features in order, named
 *   by the header (CSV) or by the first object's keys (JSONL); JSONL rows may also be arrays of N numbers.
 * Empty cells, NA, NaN and null are missing values. Pure: no I/O.
 */
import type { ModelConfig } from '../config/index.js';
import { InvalidArgumentError } from '../errors/index.js';

export interface ProfileTarget {
  readonly input: string;
  readonly columns: number;
  /** The model's own feature names, when it has them. */
  readonly modelNames?: readonly string[];
}

/** The input a profile describes; throws when the model does not take one FP32 [-1, N] input. */
export function profileTarget(config: ModelConfig): ProfileTarget {
  const [input] = config.inputs;
  const ok =
    config.inputs.length === 1 &&
    input.datatype === 'FP32' &&
    input.dims.length === 1 &&
    input.dims[0] > 0 &&
    config.maxBatchSize > 0;
  if (!ok) {
    const inputs = config.inputs
      .map((i) => `${i.name} ${i.datatype} [${config.maxBatchSize > 0 ? '-1, ' : ''}${i.dims.join(', ')}]`)
      .join('; ');
    throw new InvalidArgumentError(
      `inferd profile needs a model with one FP32 input [-1, N] (rows of N features); model '${config.name}' has: ${inputs}`,
    );
  }
  const names = config.parameters.feature_names?.split(',');
  return {
    input: input.name,
    columns: input.dims[0],
    ...(names && names.length === input.dims[0] ? { modelNames: names } : {}),
  };
}

/** Which fields of a record feed the input, by position in the header (or object keys), and the features' names. */
export interface ColumnMapping {
  readonly names: readonly string[];
  /** For each input column, the header position it is read from. */
  readonly positions: readonly number[];
  /** Header fields that are not read. */
  readonly ignored: readonly string[];
}

/** Maps a header (CSV header or the first JSONL object's keys) to the input's columns. */
export function mapColumns(
  target: ProfileTarget,
  header: readonly string[],
  exclude: readonly string[],
  where: string,
): ColumnMapping {
  const unknownExcluded = exclude.filter((e) => !header.includes(e));
  if (unknownExcluded.length)
    throw new InvalidArgumentError(
      `${where}: --exclude names column(s) the file does not have: ${unknownExcluded.join(', ')}; its columns are ${header.join(', ')}`,
    );
  if (target.modelNames) {
    const missing = target.modelNames.filter((n) => !header.includes(n));
    if (missing.length)
      throw new InvalidArgumentError(
        `${where}: the model's features ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} are not columns of the file; name the columns as the model's feature_names`,
      );
    return {
      names: target.modelNames,
      positions: target.modelNames.map((n) => header.indexOf(n)),
      ignored: header.filter((h) => !target.modelNames!.includes(h)),
    };
  }
  const used = header.map((h, i) => [h, i] as const).filter(([h]) => !exclude.includes(h));
  if (used.length !== target.columns) {
    throw new InvalidArgumentError(
      `${where}: ${used.length} columns (${header.length} in the file, ${exclude.length} excluded), but input '${target.input}' takes ${target.columns}; exclude non-feature columns with --exclude (e.g. --exclude label)`,
    );
  }
  return { names: used.map(([h]) => h), positions: used.map(([, i]) => i), ignored: [...exclude] };
}

/** The mapping of JSONL rows that are arrays: all N values, named `input[i]`. */
export function arrayMapping(target: ProfileTarget): ColumnMapping {
  const positions = Array.from({ length: target.columns }, (_, i) => i);
  return { names: target.modelNames ?? positions.map((i) => `${target.input}[${i}]`), positions, ignored: [] };
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none']);

/** A CSV cell as a number (NaN when missing); throws on text that is not a number. */
export function csvNumber(cell: string, where: string, column: string): number {
  const t = cell.trim();
  if (MISSING.has(t.toLowerCase())) return NaN;
  const v = Number(t);
  if (Number.isNaN(v))
    throw new InvalidArgumentError(
      `${where}: column '${column}' is '${cell}', not a number; the model's input is FP32 (leave missing values empty)`,
    );
  return v;
}

/** A JSON value as a number (NaN when null or absent); throws on anything else. */
export function jsonNumber(value: unknown, where: string, column: string): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new InvalidArgumentError(
    `${where}: '${column}' is ${JSON.stringify(value)}, not a number; the model's input is FP32 (use null for a missing value)`,
  );
}
