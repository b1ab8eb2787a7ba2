/**
 * `inferd export --model M --since 7d [--labeled] [--format jsonl|csv] [--out FILE]`: writes a model's logged
 * predictions (inputs and outputs) with their feedback labels, for retraining. Reads the prediction log named by the
 * server config's `audit:` block, in pages, oldest first.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { LoggedPrediction } from '../audit/audit-record.js';
import type { FeedbackRecord, FeedbackStore } from '../quality/feedback-store.js';
import { csvColumns, csvHeader, csvLines, jsonlLine, type CsvTensorColumn } from '../quality/export-format.js';
import { commandServerConfig, openPredictionLog, sinceFlag } from './replay-command.js';
import { parseCommandArgs, UsageError } from './command-args.js';
import { writeOut, writeOutAsync } from './stdout.js';

export const EXPORT_HELP = `Usage: inferd export --config FILE --model M --since 7d [options]

Writes a model's logged predictions (inputs, outputs) with their feedback labels, oldest first, from the prediction
log named by the server config's audit: block.

  jsonl: one object per prediction: request_id, time, model, version, inputs and outputs as logged, and labels
         ([{"row": 0, "label": 1, "time": ...}] or "value" for regression)
  csv:   one line per row of each prediction: request_id, row, time, model, version, a column per value of a row
         (input.<name>.<i>, output.<name>.<i>), then label and value (empty when the row has none)

Options:
  --model M                the model (required)
  --since T                how far back: a duration (30m, 1h, 7d) or an ISO 8601 time (required)
  --labeled                only predictions (csv: rows) that have a label
  --format F               jsonl (default) or csv
  --out FILE               write to FILE (default: standard output)
  --config FILE            server config file (YAML or JSON) whose audit: block names the prediction log (required)
  -h, --help               show this help

Example:
  inferd export --config inferd.yaml --model fraud_xgb --since 7d --labeled --format csv --out fraud.csv
`;

const PAGE = 500;

/** Pages of logged predictions with their labels. */
async function* pages(
  store: FeedbackStore,
  model: string,
  sinceMs: number,
  labeledOnly: boolean,
): AsyncGenerator<Array<[LoggedPrediction, FeedbackRecord[]]>> {
  let afterSeq: number | undefined;
  for (;;) {
    const page = await store.logged({ model, sinceMs, labeledOnly, afterSeq, limit: PAGE });
    if (page.length === 0) return;
    afterSeq = page.at(-1)!.seq;
    const labels = await store.labelsFor(
      model,
      page.map((p) => p.requestId),
    );
    yield page.map((p) => [p, labels.filter((l) => l.requestId === p.requestId && l.principal === p.principal)]);
  }
}

/** `inferd export ...`. Resolves with the exit code. */
export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      model: { type: 'string' },
      since: { type: 'string' },
      labeled: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeOut(EXPORT_HELP);
    return 0;
  }
  if (!values.model) throw new UsageError('--model is required: the model whose predictions are exported');
  const format = values.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv, got '${format}'`);
  const sinceMs = sinceFlag(values.since);
  const store = await openPredictionLog(commandServerConfig(values.config));
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  let predictions = 0;
  let labeled = 0;
  let columns: CsvTensorColumn[] | undefined;
  try {
    for await (const page of pages(store, values.model, sinceMs, values.labeled === true)) {
      for (const [p, labels] of page) {
        predictions++;
        if (labels.length) labeled++;
        if (format === 'jsonl') {
          await writeOutAsync(jsonlLine(p, labels), out);
          continue;
        }
        if (!columns) await writeOutAsync(csvHeader((columns = csvColumns(p))), out);
        await writeOutAsync(csvLines(p, labels, columns, values.labeled === true), out);
      }
    }
  } finally {
    await store.stop();
    if (values.out) {
      out.end();
      await finished(out);
    }
  }
  process.stderr.write(
    `exported ${predictions} ${values.model} predictions (${labeled} with labels) since ${new Date(sinceMs).toISOString()}${values.out ? ` to ${values.out}` : ''}\n`,
  );
  return 0;
}
