/**
 * Runs one test suite with `node --test` (see test-files.ts for which files belong to which):
 *
 *   node dist/test/suites/run.js [--slow] [--list] [--concurrency N] [--test-* options for node] [path prefix ...]
 *
 * `npm test` runs the default suite, `npm run test:slow` the slow one; a path prefix narrows either to matching
 * sources (`npm test -- test/security src/routing`). Options starting with `--test` go to node as they are
 * (`--test-name-pattern=...`, `--test-reporter=tap`). Exits with node's code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from '../helpers/root.js';
import { suiteFiles, type Suite } from './test-files.js';

/**
 * Test files run one at a time by default: several suites count metrics, watch the event loop or measure a
 * server under load, and two of them sharing the two cores would make each other's numbers noisy.
 */
const DEFAULT_CONCURRENCY = 1;

const USAGE = 'usage: run.js [--slow] [--list] [--concurrency N] [--test-* node options] [source path prefix ...]';

interface RunArgs {
  readonly suite: Suite;
  readonly list: boolean;
  readonly concurrency: number;
  readonly nodeArgs: string[];
  readonly only: string[];
}

function parseArgs(argv: readonly string[]): RunArgs {
  let suite: Suite = 'default';
  let list = false;
  let concurrency = DEFAULT_CONCURRENCY;
  const nodeArgs: string[] = [];
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--slow') suite = 'slow';
    else if (arg === '--list') list = true;
    else if (arg === '--concurrency') {
      concurrency = Number(argv[++i]);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new Error(`--concurrency needs a whole number of at least 1, got '${argv[i]}'. ${USAGE}`);
    } else if (arg.startsWith('--test')) nodeArgs.push(arg);
    else if (arg.startsWith('-')) throw new Error(`unknown option '${arg}'. ${USAGE}`);
    else only.push(arg);
  }
  return { suite, list, concurrency, nodeArgs, only };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const files = suiteFiles(ROOT, args.suite, args.only);
  if (args.list) {
    for (const f of files) process.stdout.write(`${relative(ROOT, f)}\n`);
    return;
  }
  if (files.length === 0) throw new Error(`no ${args.suite} test file matches ${args.only.join(', ')}. ${USAGE}`);
  // Servers started on a default state directory (rollout store, prediction log) keep it under a folder of this
  // run, not in the home directory; it goes when the run ends.
  const stateHome = mkdtempSync(join(tmpdir(), 'inferd-test-state-'));
  const child = spawn(
    process.execPath,
    ['--test', `--test-concurrency=${args.concurrency}`, ...args.nodeArgs, ...files],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, XDG_STATE_HOME: stateHome },
    },
  );
  child.on('exit', (code, signal) => {
    rmSync(stateHome, { recursive: true, force: true });
    process.exit(code ?? (signal ? 1 : 0));
  });
}

try {
  main();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
