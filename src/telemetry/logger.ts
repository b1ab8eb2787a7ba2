import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stdout, one field per fact. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { service: 'inferd' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? process.stdout);
}

/** A logger that writes nothing, for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
