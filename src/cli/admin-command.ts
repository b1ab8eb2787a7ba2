/**
 * What the management commands share: argument parsing that answers a usage error with exit code 2, and a
 * runner that prints a refusal's message on stderr with exit code 1.
 */
import { AdminClient, AdminRequestError } from './admin-client.js';

export type Output = (text: string) => void;

export interface CommandIo {
  readonly out: Output;
  readonly err: Output;
}

export const STDIO: CommandIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** A mistake in the command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** Runs node's parseArgs (strict), turning its errors into UsageErrors. */
export function parseCommandArgs<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The client for the connection flags given (flags win over INFERD_URL, INFERD_API_KEY, INFERD_TOKEN). */
export function clientOf(values: { url?: string; 'api-key'?: string; token?: string }): AdminClient {
  return new AdminClient({ url: values.url, apiKey: values['api-key'], token: values.token });
}

/** Runs a command body, mapping usage errors to 2 and server refusals to 1, each with its message. */
export async function runCommand(name: string, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`inferd ${name}: ${err.message}\nRun 'inferd ${name} --help' for usage.\n`);
      return 2;
    }
    if (err instanceof AdminRequestError) {
      io.err(`inferd ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Pretty JSON with a trailing newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
