/**
 * Which test files make up each suite. A test file is a `*.test.ts` under src/ or test/; it belongs to the slow
 * suite (`npm run test:slow`: scenarios, soaks, chaos, attacks and fuzzing that take tens of seconds) when it is
 * named `*.slow.test.ts`, to the default suite (`npm test`) otherwise. Files are listed from the TypeScript
 * sources, not from dist/, so a compiled file whose source was deleted is never run.
 *
 * Most default-suite files only start servers on port 0 and talk to them, so two of them may run side by side
 * (`run.ts` runs them two at a time). The files of EXCLUSIVE_FILES run alone, after the others: they count
 * event-loop turns, race a slow model against its callers, or kill and restart processes, and another test file
 * taking a core meanwhile would change what they see. Every slow-suite file runs alone.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export type Suite = 'default' | 'slow';

/** The folders holding test files, relative to the project root. */
export const TEST_ROOTS = ['src', 'test'] as const;

const TEST_SUFFIX = '.test.ts';
const SLOW_SUFFIX = '.slow.test.ts';

/**
 * Default-suite test files that must have the machine to themselves, with the reason. A file that counts
 * event-loop turns, watches event-loop delay or utilisation, measures or races a server under load, counts
 * metrics over time, or kills and restarts processes belongs here (test-files.test.ts checks for the usual signs).
 */
export const EXCLUSIVE_FILES: Readonly<Record<string, string>> = {
  'test/telemetry/metrics-render.test.ts': 'counts the event-loop turns a scrape of 60,000 series yields',
  'test/security/big-bodies.test.ts': 'counts event-loop turns and answers a probe while a large body is decoded',
  'test/audit/audit-sigkill.test.ts': 'SIGKILLs a serving CLI process under concurrent load',
  'test/cli/sighup.test.ts': 'sends signals to a serving CLI process',
  'test/processes/processes.test.ts': 'kills a serving process and SIGTERMs a primary under load',
  'test/cli/cli-bundle.test.ts': 'starts and SIGTERMs CLI server processes',
  'test/features/chaos.test.ts': 'hangs (SIGSTOP), kills and restarts a Redis of its own under client loops',
  'test/features/feature-readiness.test.ts': 'kills and restarts a Redis of its own',
  'test/integration/process-faults.test.ts': 'crashes a serving CLI process and kills it',
  'test/security/insecure-bind.test.ts': 'starts and SIGTERMs CLI server processes',
  'test/smoke/serve-smoke.test.ts': 'starts and SIGTERMs a CLI server process',
  'test/security/rate-store-readiness.test.ts': 'kills and restarts a Redis of its own',
  'test/security/redis-rate-outage.test.ts': 'hangs (SIGSTOP), kills and restarts a Redis of its own',
  'test/security/tls-cli.test.ts': 'starts and SIGTERMs CLI server processes',
  'test/telemetry/model-status-cli.test.ts': 'starts and SIGTERMs CLI server processes',
};

/** Every `.ts` file under `dir` (recursively), as paths relative to `root` with forward slashes, sorted. */
export function typeScriptFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'fixtures' && entry.name !== 'node_modules') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        found.push(relative(root, path).split(sep).join('/'));
      }
    }
  };
  walk(join(root, dir));
  return found.sort();
}

export function isTestFile(path: string): boolean {
  return path.endsWith(TEST_SUFFIX);
}

/** The suite a test file belongs to (by its name alone). */
export function suiteOf(path: string): Suite {
  return path.endsWith(SLOW_SUFFIX) ? 'slow' : 'default';
}

/** Whether a test file must run with no other test file beside it: every slow-suite file, and EXCLUSIVE_FILES. */
export function runsAlone(path: string): boolean {
  return suiteOf(path) === 'slow' || Object.hasOwn(EXCLUSIVE_FILES, path);
}

/** The test sources of one suite, relative to the project root, sorted. */
export function suiteSources(root: string, suite: Suite): string[] {
  return TEST_ROOTS.flatMap((dir) => typeScriptFiles(root, dir)).filter((f) => isTestFile(f) && suiteOf(f) === suite);
}

/** The compiled file node runs for a test source: `src/a/b.test.ts` → `dist/src/a/b.test.js`. */
export function compiledPath(root: string, source: string): string {
  return join(root, 'dist', source.replace(/\.ts$/, '.js'));
}

/**
 * The compiled files of one suite, optionally only those whose source path starts with one of `only`
 * (e.g. `test/security`). Throws, saying to build, when a source has no compiled file.
 */
export function suiteFiles(root: string, suite: Suite, only: readonly string[] = []): string[] {
  const { shared, alone } = suiteGroups(root, suite, only);
  return [...shared, ...alone];
}

/**
 * The compiled files of one suite (narrowed by `only` as suiteFiles does), split into those that may run beside
 * each other and those that must run alone (runsAlone). Each list is sorted by source path.
 */
export function suiteGroups(
  root: string,
  suite: Suite,
  only: readonly string[] = [],
): { shared: string[]; alone: string[] } {
  const wanted = only.map((p) =>
    p
      .replace(/^\.\//, '')
      .replace(/^dist\//, '')
      .replace(/\.js$/, '.ts'),
  );
  const sources = suiteSources(root, suite).filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)));
  const missing = sources.filter((f) => !existsSync(compiledPath(root, f)));
  if (missing.length > 0) {
    throw new Error(`${missing.length} test file(s) are not compiled (first: ${missing[0]}): run \`npx tsc -b\` first`);
  }
  return {
    shared: sources.filter((f) => !runsAlone(f)).map((f) => compiledPath(root, f)),
    alone: sources.filter(runsAlone).map((f) => compiledPath(root, f)),
  };
}
