/**
 * Command-line parsing every `inferd` command shares: node's parseArgs (strict), where a string option may take a
 * negative number as its value (`--grpc-port -1`, which parseArgs alone refuses as ambiguous), and where a
 * mistake is a UsageError (exit code 2, with the command's usage).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: printed with the command's usage line and a pointer to --help, exit code 2. */
export class UsageError extends Error {}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/** The option a token names (`--name` or `-n`) when it takes a string value; undefined otherwise. */
function stringOption(token: string, options: OptionSpecs): string | undefined {
  if (token.startsWith('--')) return options[token.slice(2)]?.type === 'string' ? token.slice(2) : undefined;
  if (!/^-[^-]$/.test(token)) return undefined;
  return Object.entries(options).find(([, o]) => o.short === token[1] && o.type === 'string')?.[0];
}

/**
 * `--flag -1` becomes `--flag=-1` when `--flag` takes a string and the next token is a negative number, so the
 * documented `--grpc-port -1` parses. Everything after `--` is left alone.
 * @example withNegativeValues(['--grpc-port', '-1'], { 'grpc-port': { type: 'string' } }) // ['--grpc-port=-1']
 */
export function withNegativeValues(args: readonly string[], options: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    if (token === '--') return [...out, ...args.slice(i)];
    const name = stringOption(token, options);
    if (name !== undefined && NEGATIVE_NUMBER.test(args[i + 1] ?? '')) {
      out.push(`--${name}=${args[++i]}`);
      continue;
    }
    out.push(token);
  }
  return out;
}

/** parseArgs over `config.args`, strict unless told otherwise, with negative values joined and errors as UsageErrors. */
export function parseCommandArgs<T extends ParseArgsConfig & { args: string[] }>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs({ strict: true, ...config, args: withNegativeValues(config.args, config.options ?? {}) } as T);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
