/**
 * The `pretty` log format: pino's JSON lines rewritten for people as they are written.
 *
 *   14:02:07.412 INFO  request request_id=42 model=digits version=1 status=success latency_ms=1.21
 *   14:02:09.003 WARN  model digits: shed 12 requests in the last 5s: queue_full 12 model=digits shed=12
 *
 * Errors keep their stack, indented under the line. A line that is not JSON passes through unchanged.
 */
const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '90' },
  20: { name: 'DEBUG', colour: '36' },
  30: { name: 'INFO ', colour: '32' },
  40: { name: 'WARN ', colour: '33' },
  50: { name: 'ERROR', colour: '31' },
  60: { name: 'FATAL', colour: '35' },
};

/** Fields every line has, shown in the prefix or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'err']);

export interface PrettyOptions {
  /** ANSI colours for the level (a terminal). */
  readonly colour: boolean;
}

/** A pino destination that writes pretty lines to `out`. */
export function prettyDestination(
  out: NodeJS.WritableStream,
  options: PrettyOptions,
): { write(line: string): boolean } {
  return { write: (line: string) => out.write(prettyLine(line, options)) };
}

/** One pino JSON line (with its newline) as a pretty line (with its newline). */
export function prettyLine(line: string, options: PrettyOptions): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level).padEnd(5), colour: '0' };
  const name = options.colour ? `\x1b[${level.colour}m${level.name}\x1b[0m` : level.name;
  const fields = Object.entries(entry)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${shownValue(v)}`);
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const head = [timeOf(entry.time), name, msg, ...fields].filter((s) => s !== '').join(' ');
  return `${head}${errorText(entry.err)}\n`;
}

/** HH:MM:SS.mmm of an ISO time (the logger writes ISO times); anything else as it is. */
function timeOf(time: unknown): string {
  if (typeof time !== 'string') return time === undefined ? '' : String(time);
  const m = /T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(time);
  return m ? m[1] : time;
}

/** A bare word when that reads unambiguously, else JSON. */
function shownValue(v: unknown): string {
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

function errorText(err: unknown): string {
  if (err === undefined || err === null) return '';
  const e = err as { stack?: unknown; message?: unknown };
  const text = typeof e.stack === 'string' ? e.stack : typeof e.message === 'string' ? e.message : JSON.stringify(err);
  return `\n${text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}`;
}
