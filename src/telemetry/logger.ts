import { pino, type Logger } from 'pino';
import { prettyDestination } from './pretty-log.js';

export type { Logger };

/** json: one JSON object per line; pretty: for people; auto: pretty when the output is a terminal. */
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerOptions {
  readonly format?: LogFormat;
  /** Where lines go; default stdout. */
  readonly destination?: NodeJS.WritableStream;
}

const prettyLoggers = new WeakSet<Logger>();

/**
 * The process logger: JSON lines on stdout, one field per fact; or, in `pretty` format (by default when stdout is
 * a terminal), `time LEVEL message key=value ...` lines with colour on a terminal.
 */
export function createLogger(level: string, options: LoggerOptions | NodeJS.WritableStream = {}): Logger {
  const { format = 'auto', destination = process.stdout } = isStream(options) ? { destination: options } : options;
  const tty = (destination as { isTTY?: boolean }).isTTY === true;
  const pretty = format === 'pretty' || (format === 'auto' && tty);
  const logger = pino(
    { level, base: { service: 'inferd' }, timestamp: pino.stdTimeFunctions.isoTime },
    pretty ? prettyDestination(destination, { colour: tty }) : destination,
  );
  if (pretty) prettyLoggers.add(logger);
  return logger;
}

/** True for a logger that writes for people (tables read better than one line per row there). */
export function isPrettyLogger(logger: Logger): boolean {
  return prettyLoggers.has(logger);
}

function isStream(o: LoggerOptions | NodeJS.WritableStream): o is NodeJS.WritableStream {
  return typeof (o as { write?: unknown }).write === 'function';
}

/** A logger that writes nothing, for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
