/**
 * What the management commands share: a runner that prints a refusal's message on stderr with exit code 1 (a
 * command-line mistake, a UsageError, goes up to `inferd`, which prints it with the usage and exits 2), and the
 * client for the connection flags.
 */
import { AdminClient, AdminRequestError, type TlsFiles } from './admin-client.js';
import { writeOut } from './stdout.js';

export { parseCommandArgs, UsageError } from './command-args.js';

export type Output = (text: string) => void;

export interface CommandIo {
  readonly out: Output;
  readonly err: Output;
}

export const STDIO: CommandIo = {
  out: writeOut,
  err: (t) => process.stderr.write(t),
};

/** The connection flags every management command takes. */
export interface ConnectionValues extends TlsFiles {
  readonly url?: string;
  readonly 'api-key'?: string;
  readonly token?: string;
}

/** The client for the connection flags given (flags win over INFERD_URL, INFERD_API_KEY, INFERD_TOKEN, INFERD_CACERT...). */
export function clientOf(values: ConnectionValues): AdminClient {
  return new AdminClient({
    url: values.url,
    apiKey: values['api-key'],
    token: values.token,
    tls: { cacert: values.cacert, cert: values.cert, key: values.key },
  });
}

/** Runs a command body, mapping server refusals (and a server out of reach) to exit code 1 with the message. */
export async function runCommand(name: string, io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof AdminRequestError)) throw err;
    io.err(`inferd ${name}: ${err.message}\n`);
    return 1;
  }
}

/** Pretty JSON with a trailing newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
