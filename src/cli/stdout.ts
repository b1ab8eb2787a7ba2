/**
 * Standard output of the `inferd` command. When its reader goes away (`inferd export ... | head`), writing fails
 * with EPIPE; the command then stops quietly with exit code 0, as Unix tools do, instead of dying on an
 * unhandled 'error' event with a stack trace. Every command writes its results through `writeOut`.
 */
import { once } from 'node:events';

/** Thrown by a write once standard output has no reader; `inferd` turns it into a quiet exit 0. */
export class OutputClosedError extends Error {
  constructor() {
    super('standard output was closed by its reader');
    this.name = 'OutputClosedError';
  }
}

const closedStreams = new WeakSet<NodeJS.WritableStream>();

const isGone = (err: NodeJS.ErrnoException) => err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED';

/**
 * Listens for write errors on the process's stdout and stderr (once, at start). A reader that went away marks the
 * stream closed (later writes throw OutputClosedError); any other error is thrown as before.
 */
export function watchStandardStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (!isGone(err)) throw err;
      closedStreams.add(stream);
    });
  }
}

/** True once `stream` (stdout by default) lost its reader. */
export function isClosed(stream: NodeJS.WritableStream = process.stdout): boolean {
  return closedStreams.has(stream) || (stream as { destroyed?: boolean }).destroyed === true;
}

/** Writes `text` to stdout; throws OutputClosedError once it has no reader. */
export function writeOut(text: string): void {
  if (isClosed(process.stdout)) throw new OutputClosedError();
  process.stdout.write(text);
}

/**
 * Writes `text` to `stream` (a file or stdout), waiting for it to drain when its buffer is full: for output that
 * may be large. Throws OutputClosedError once stdout has no reader.
 */
export async function writeOutAsync(text: string, stream: NodeJS.WritableStream = process.stdout): Promise<void> {
  if (stream === process.stdout && isClosed(stream)) throw new OutputClosedError();
  if (stream.write(text)) return;
  const closed = new AbortController();
  try {
    await Promise.race([
      once(stream, 'drain', { signal: closed.signal }),
      once(stream, 'close', { signal: closed.signal }),
    ]);
  } catch (err) {
    if (isGone(err as NodeJS.ErrnoException)) throw new OutputClosedError();
    throw err;
  } finally {
    closed.abort();
  }
  if (stream === process.stdout && isClosed(stream)) throw new OutputClosedError();
}
