/**
 * The lifecycle isolation bench on its own (after `npm run build`): `node dist/bench/lifecycle-isolation-main.js
 * [--cycles 50] [--quiet-s 8] [--connections 2] [--rate REQ_PER_S]
 * [--only default|glibc]`; `--rate` paces digits (default: back to back). Prints the markdown section on stdout and progress on stderr; exits 1 if a run fails, not
 * when a target is missed (the section says which were met).
 */
import { parseArgs } from 'node:util';
import { installCleanup } from './children.js';
import {
  renderLifecycleIsolation,
  runLifecycleIsolation,
  type Environment,
  type LifecycleIsolationOptions,
} from './lifecycle-isolation.js';

const log = (msg: string): void => void process.stderr.write(`bench:lifecycle: ${msg}\n`);

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, got '${text}'`);
  return n;
}

function oneOf<T extends string>(name: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text))
    throw new Error(`--${name} must be one of ${allowed.join(', ')}, got '${text}'`);
  return text as T;
}

const USAGE =
  'usage: node dist/bench/lifecycle-isolation-main.js [--cycles 50] [--quiet-s 8] [--connections 2] [--rate REQ_PER_S] [--only default|glibc]';

/** The run's options from the command line; throws with what was wrong. */
function options(): LifecycleIsolationOptions {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string', default: '50' },
      'quiet-s': { type: 'string', default: '8' },
      connections: { type: 'string', default: '2' },
      rate: { type: 'string', default: '0' },
      only: { type: 'string' },
    },
  });
  const only = oneOf<Environment>('only', values.only, ['default', 'glibc']);
  return {
    cycles: positiveInt('cycles', values.cycles),
    quietS: positiveInt('quiet-s', values['quiet-s']),
    concurrency: positiveInt('connections', values.connections),
    ratePerS: values.rate === '0' ? 0 : positiveInt('rate', values.rate),
    environments: only ? [only] : undefined,
    log,
  };
}

async function main(o: LifecycleIsolationOptions): Promise<void> {
  installCleanup(() => undefined);
  const result = await runLifecycleIsolation(o);
  process.stdout.write(`\n${renderLifecycleIsolation(result)}\n`);
}

let parsed: LifecycleIsolationOptions;
try {
  parsed = options();
} catch (err) {
  log(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
main(parsed).then(
  () => process.exit(0),
  (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
