/**
 * The lines `inferd export` writes, pure. JSONL: one object per logged prediction, its tensors as logged and its
 * labels by row. CSV: one line per row of each prediction (the tensors' first dimension is the batch), a column
 * per element of a row (`input.<name>.<i>`, or `input.<name>` for one value a row), then `label` and `value`.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { LoggedPrediction, StoredTensor } from '../audit/audit-record.js';
import type { FeedbackRecord } from './feedback-store.js';

/** The JSONL line of a prediction (with a trailing newline). */
export function jsonlLine(p: LoggedPrediction, labels: readonly FeedbackRecord[]): string {
  const record = {
    request_id: p.requestId,
    time: new Date(p.timeMs).toISOString(),
    model: p.model,
    version: p.version,
    inputs: p.inputs,
    outputs: p.outputs,
    labels: labels.map((l) => ({ row: l.row, [l.kind]: l.label, time: new Date(l.timeMs).toISOString() })),
  };
  return `${JSON.stringify(record)}\n`;
}

/** A tensor's columns: its name and values per row (1 for a redacted tensor, whose cells hold the marker). */
export interface CsvTensorColumn {
  readonly section: 'input' | 'output';
  readonly name: string;
  readonly width: number;
}

function rowsOf(t: StoredTensor): number {
  return t.shape.length === 0 ? 1 : t.shape[0];
}

function widthOf(t: StoredTensor): number {
  if (t.data === undefined) return 1;
  const rows = rowsOf(t);
  return rows === 0 ? 0 : t.data.length / rows;
}

/** The columns of a CSV export, from its first prediction. */
export function csvColumns(first: LoggedPrediction): CsvTensorColumn[] {
  return [
    ...first.inputs.map((t) => ({ section: 'input' as const, name: t.name, width: widthOf(t) })),
    ...first.outputs.map((t) => ({ section: 'output' as const, name: t.name, width: widthOf(t) })),
  ];
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvHeader(columns: readonly CsvTensorColumn[]): string {
  const names = columns.flatMap((c) =>
    c.width === 1
      ? [`${c.section}.${c.name}`]
      : Array.from({ length: c.width }, (_, i) => `${c.section}.${c.name}.${i}`),
  );
  return `${['request_id', 'row', 'time', 'model', 'version', ...names, 'label', 'value'].map(cell).join(',')}\n`;
}

function tensorCells(p: LoggedPrediction, c: CsvTensorColumn, row: number): unknown[] {
  const t = (c.section === 'input' ? p.inputs : p.outputs).find((x) => x.name === c.name);
  if (!t)
    throw new InvalidArgumentError(
      `prediction ${p.requestId} has no ${c.section} '${c.name}' that the first exported prediction has; use --format jsonl for mixed predictions`,
    );
  if (t.data === undefined) return [t.redacted ?? ''];
  if (t.truncated)
    throw new InvalidArgumentError(
      `prediction ${p.requestId}: ${c.section} '${c.name}' was truncated in the log (audit.max_elements); use --format jsonl, which keeps what was logged`,
    );
  if (widthOf(t) !== c.width)
    throw new InvalidArgumentError(
      `prediction ${p.requestId} has ${widthOf(t)} values per row in ${c.section} '${c.name}', the first exported prediction ${c.width}; use --format jsonl for mixed shapes`,
    );
  return t.data.slice(row * c.width, (row + 1) * c.width);
}

/** The CSV lines of a prediction, one per row; with `labeledOnly`, only rows that have a label. */
export function csvLines(
  p: LoggedPrediction,
  labels: readonly FeedbackRecord[],
  columns: readonly CsvTensorColumn[],
  labeledOnly: boolean,
): string {
  const first = p.inputs[0] ?? p.outputs[0];
  const rows = first && first.data !== undefined ? rowsOf(first) : 1;
  let out = '';
  for (let row = 0; row < rows; row++) {
    const label = labels.find((l) => l.row === row);
    if (labeledOnly && !label) continue;
    const cells = [
      p.requestId,
      row,
      new Date(p.timeMs).toISOString(),
      p.model,
      p.version,
      ...columns.flatMap((c) => tensorCells(p, c, row)),
      label?.kind === 'label' ? label.label : '',
      label?.kind === 'value' ? label.label : '',
    ];
    out += `${cells.map(cell).join(',')}\n`;
  }
  return out;
}
