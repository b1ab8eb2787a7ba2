/**
 * A small CSV reader for feature tables: a header line, then one record per line; fields may be quoted with
 * '"' (doubled inside to escape); quoted fields do not span lines. Reads a file as a stream, in batches.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InvalidArgumentError } from '../errors/index.js';

/** Splits one CSV line into fields. */
export function parseCsvLine(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      for (i++; ; i++) {
        if (i >= line.length)
          throw new InvalidArgumentError(`${where}: a quoted field is not closed; close it with '"' on the same line`);
        if (line[i] === '"' && line[i + 1] === '"') {
          field += '"';
          i++;
        } else if (line[i] === '"') break;
        else field += line[i];
      }
      i++;
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end === -1 ? line.length : end);
      i = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    if (line[i] !== ',')
      throw new InvalidArgumentError(`${where}: unexpected character after a quoted field; separate fields with ','`);
    i++;
  }
}

export interface CsvBatch {
  /** Records keyed by header name; `line` is the 1-based line number, for messages. */
  readonly records: ReadonlyArray<{ readonly line: number; readonly fields: Readonly<Record<string, string>> }>;
  /** Bytes of the file read so far, and its size: for progress. */
  readonly bytesRead: number;
  readonly totalBytes: number;
}

function recordOf(header: readonly string[], fields: string[], where: string): Record<string, string> {
  if (fields.length !== header.length)
    throw new InvalidArgumentError(`${where}: ${fields.length} fields, but the header has ${header.length}`);
  return Object.fromEntries(header.map((h, i) => [h, fields[i]]));
}

/** Reads a CSV file in batches of `batchSize` records. */
export async function* readCsvBatches(path: string, batchSize: number): AsyncGenerator<CsvBatch> {
  const totalBytes = (await stat(path)).size;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let header: string[] | undefined;
  let records: Array<{ line: number; fields: Record<string, string> }> = [];
  let n = 0;
  let consumed = 0; // bytes of the lines parsed so far: progress by what was read into records, not buffered
  for await (const line of lines) {
    n++;
    consumed += Buffer.byteLength(line) + 1;
    if (line.trim() === '') continue;
    const where = `${path}:${n}`;
    if (!header) header = parseCsvLine(line.replace(/^\uFEFF/, ''), where).map((h) => h.trim());
    else records.push({ line: n, fields: recordOf(header, parseCsvLine(line, where), where) });
    if (records.length >= batchSize) {
      yield { records, bytesRead: Math.min(consumed, totalBytes), totalBytes };
      records = [];
    }
  }
  if (!header)
    throw new InvalidArgumentError(
      `${path}: the file is empty; it needs a header line (entity columns, event_time, features)`,
    );
  yield { records, bytesRead: totalBytes, totalBytes };
}
