/**
 * Runs one test suite with `node --test` (see test-files.ts for which files belong to which):
 *
 *   node dist/test/suites/run.js [--slow] [--list] [--concurrency N] [--test-* options for node] [path prefix ...]
 *
 * `npm test` runs the default suite, `npm run test:slow` the slow one; a path prefix narrows either to matching
 * sources (`npm test -- test/security src/routing`). The default suite's files run two at a time (`--concurrency N`
 * changes that), then the files that must have the machine to themselves (EXCLUSIVE_FILES) one at a time; the slow
 * suite's files all run one at a time. `--list` prints the files, those run alone marked `(alone)`. Options
 * starting with `--test` go to node as they are (`--test-name-pattern=...`, `--test-reporter=tap`): with both
 * groups, node runs twice and reports twice. Exits with node's code (the first non-zero one).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bundleIsCurrent } from '../../src/cli/cli-bundle.js';
import { ROOT } from '../helpers/root.js';
import { suiteGroups, type Suite } from './test-files.js';

/**
 * Default-suite files that may share the machine run two at a time: most only start a server on port 0 and talk
 * to it, waiting for events, never for a time, so a busy core makes them slower, never red. It halves the wall
 * time on two cores; the files that would see each other (EXCLUSIVE_FILES) run alone afterwards.
 */
const DEFAULT_CONCURRENCY = 2;

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

/** Runs `node --test` over `files`, `concurrency` at a time; resolves with its exit code. */
function nodeTest(
  files: readonly string[],
  concurrency: number,
  nodeArgs: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const child = spawn(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...nodeArgs, ...files], {
    cwd: ROOT,
    stdio: 'inherit',
    env,
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

/**
 * The CLI tests run `inferd` as users do, from its bundle: after a `tsc -b` alone the bundle is stale (the command
 * would run its modules), so it is built again first, as `npm run build` does.
 */
function ensureCurrentBundle(): void {
  if (bundleIsCurrent()) return;
  process.stderr.write('the inferd bundle is older than the compiled modules: building it (npm run build does this)\n');
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli-bundle.js')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('scripts/build-cli-bundle.js failed: see above');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const { shared, alone } = suiteGroups(ROOT, args.suite, args.only);
  if (args.list) {
    for (const f of shared) process.stdout.write(`${relative(ROOT, f)}\n`);
    for (const f of alone) process.stdout.write(`${relative(ROOT, f)} (alone)\n`);
    return 0;
  }
  if (shared.length + alone.length === 0)
    throw new Error(`no ${args.suite} test file matches ${args.only.join(', ')}. ${USAGE}`);
  ensureCurrentBundle();
  // Servers started on a default state directory (rollout store, prediction log) keep it under a folder of this
  // run, not in the home directory; it goes when the run ends.
  const stateHome = mkdtempSync(join(tmpdir(), 'inferd-test-state-'));
  const env = { ...process.env, XDG_STATE_HOME: stateHome };
  try {
    // Both groups run even when the first fails, so one run shows every failure.
    const codes: number[] = [];
    if (shared.length > 0) codes.push(await nodeTest(shared, args.concurrency, args.nodeArgs, env));
    if (alone.length > 0) codes.push(await nodeTest(alone, 1, args.nodeArgs, env));
    return codes.find((c) => c !== 0) ?? 0;
  } finally {
    rmSync(stateHome, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  },
);
