/**
 * The model status table written once the server listens, as Triton prints one: every model and version with its
 * state (READY, UNAVAILABLE with the reason, ...). In the pretty log format it is one table; in JSON, a line per row.
 *
 *   +--------+---------+-------------------------------------------+
 *   | Model  | Version | Status                                    |
 *   +--------+---------+-------------------------------------------+
 *   | digits | 1       | READY                                     |
 *   | broken | 1       | UNAVAILABLE: model.onnx: protobuf parsing |
 *   +--------+---------+-------------------------------------------+
 */
import { isPrettyLogger, type Logger } from './logger.js';
import { versionLabel } from '../config/version-label.js';

/** A row of the repository index (registry's IndexEntry). */
export interface ModelStatus {
  readonly name: string;
  readonly version?: number;
  readonly state: string;
  readonly reason?: string;
}

const HEADERS = ['Model', 'Version', 'Status'] as const;

function statusText(m: ModelStatus): string {
  const reason = m.reason?.replace(/\s+/g, ' ').trim();
  return reason ? `${m.state}: ${reason}` : m.state;
}

/** The table as text (no trailing newline); "no models" when there are none. */
export function modelStatusTable(models: readonly ModelStatus[]): string {
  const rows = models.map((m) => [m.name, m.version === undefined ? '-' : versionLabel(m.version), statusText(m)]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const body = rows.length ? rows.map(line) : [line(['(no models)', '', ''])];
  return [rule, line(HEADERS), rule, ...body, rule].join('\n');
}

/** Writes the status of every model: a table for people, or one structured line per model and version. */
export function logModelStatus(logger: Logger, models: readonly ModelStatus[]): void {
  if (isPrettyLogger(logger)) {
    const ready = models.filter((m) => m.state === 'READY').length;
    logger.info(`models (${ready} of ${models.length} ready):\n${modelStatusTable(models)}`);
    return;
  }
  for (const m of models) {
    logger.info(
      { model: m.name, version: m.version, state: m.state, reason: m.reason },
      `model ${m.name}${m.version ? ` v${m.version}` : ''}: ${m.state}`,
    );
  }
}
