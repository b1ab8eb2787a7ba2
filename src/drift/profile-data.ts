/**
 * Reads a training-data file (CSV with a header, or JSONL: one object or array per line) as batches of rows
 * for the model's input, streaming, with the bytes read for a progress bar. See profile-columns.ts for how
 * columns map to the input.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InvalidArgumentError } from '../errors/index.js';
import { parseCsvLine } from '../features/csv.js';
import {
  arrayMapping,
  csvNumber,
  jsonNumber,
  mapColumns,
  type ColumnMapping,
  type ProfileTarget,
} from './profile-columns.js';

export interface RowBatch {
  /** Row-major values, `rows × target.columns`. */
  readonly data: Float32Array;
  readonly rows: number;
  readonly bytesRead: number;
  readonly totalBytes: number;
  readonly mapping: ColumnMapping;
}

export interface ReadRowsOptions {
  readonly target: ProfileTarget;
  readonly batchRows: number;
  /** Columns that are not features (CSV or JSONL objects). */
  readonly exclude?: readonly string[];
}

/** Whether a file is read as JSONL (by its extension: .jsonl, .ndjson); anything else is CSV. */
export function isJsonl(path: string): boolean {
  return /\.(jsonl|ndjson)$/i.test(path);
}

type RowParser = (line: string, where: string) => number[];

function jsonlParser(
  target: ProfileTarget,
  exclude: readonly string[],
  setMapping: (m: ColumnMapping) => void,
): RowParser {
  let mapping: ColumnMapping | undefined;
  return (line, where) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InvalidArgumentError(
        `${where}: not valid JSON (${(err as Error).message}); each line must be one object or array`,
      );
    }
    if (Array.isArray(value)) {
      if (value.length !== target.columns)
        throw new InvalidArgumentError(
          `${where}: an array of ${value.length} values, but input '${target.input}' takes ${target.columns}`,
        );
      mapping ??= arrayMapping(target);
      setMapping(mapping);
      return value.map((v, i) => jsonNumber(v, where, mapping!.names[i]));
    }
    if (typeof value !== 'object' || value === null)
      throw new InvalidArgumentError(
        `${where}: each line must be a JSON object (feature → value) or an array of ${target.columns} values`,
      );
    const record = value as Record<string, unknown>;
    if (!mapping) {
      mapping = mapColumns(target, Object.keys(record), exclude, where);
      setMapping(mapping);
    }
    return mapping.positions.map((_, i) => jsonNumber(record[mapping!.names[i]], where, mapping!.names[i]));
  };
}

function csvParser(
  target: ProfileTarget,
  exclude: readonly string[],
  setMapping: (m: ColumnMapping) => void,
): RowParser {
  let header: string[] | undefined;
  let mapping: ColumnMapping | undefined;
  return (line, where) => {
    const fields = parseCsvLine(line.replace(/^\uFEFF/, ''), where);
    if (!header) {
      header = fields.map((h) => h.trim());
      mapping = mapColumns(target, header, exclude, where);
      setMapping(mapping);
      return [];
    }
    if (fields.length !== header.length)
      throw new InvalidArgumentError(`${where}: ${fields.length} fields, but the header has ${header.length}`);
    return mapping!.positions.map((p, i) => csvNumber(fields[p], where, mapping!.names[i]));
  };
}

/** Yields the file's rows in batches of at most `batchRows`. */
export async function* readRows(path: string, options: ReadRowsOptions): AsyncGenerator<RowBatch> {
  const { target, batchRows } = options;
  const totalBytes = (await stat(path)).size;
  let mapping: ColumnMapping | undefined;
  const setMapping = (m: ColumnMapping) => (mapping = m);
  const parse = isJsonl(path)
    ? jsonlParser(target, options.exclude ?? [], setMapping)
    : csvParser(target, options.exclude ?? [], setMapping);
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let data = new Float32Array(batchRows * target.columns);
  let rows = 0;
  let n = 0;
  let consumed = 0;
  for await (const line of lines) {
    n++;
    consumed += Buffer.byteLength(line) + 1;
    if (line.trim() === '') continue;
    const values = parse(line, `${path}:${n}`);
    if (values.length === 0) continue; // the CSV header
    data.set(values, rows * target.columns);
    if (++rows === batchRows) {
      yield { data, rows, bytesRead: Math.min(consumed, totalBytes), totalBytes, mapping: mapping! };
      data = new Float32Array(batchRows * target.columns);
      rows = 0;
    }
  }
  if (!mapping)
    throw new InvalidArgumentError(`${path}: the file has no rows; it needs a CSV header and rows, or JSONL lines`);
  if (rows > 0)
    yield { data: data.subarray(0, rows * target.columns), rows, bytesRead: totalBytes, totalBytes, mapping };
}
