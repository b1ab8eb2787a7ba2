/** A logger whose JSON lines the test reads back, and small readers of log lines and metric samples. */
import { Writable } from 'node:stream';
import { createLogger, type LogFormat, type Logger } from '../../src/telemetry/logger.js';

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line written, as written. */
  readonly lines: string[];
  /** The JSON lines parsed. */
  entries(): Array<Record<string, unknown>>;
}

export function captureLog(level = 'info', format: LogFormat = 'json'): CapturedLog {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  return {
    logger: createLogger(level, { destination: sink, format }),
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** The value of the sample whose labels are exactly `labels` (in any order), or undefined. */
export function sampleOf(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (m[2].split(',').sort().join(',') === want) return Number(m[3]);
  }
  return undefined;
}
