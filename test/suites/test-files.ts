/**
 * Which test files make up each suite. A test file is a `*.test.ts` under src/ or test/; it belongs to the slow
 * suite (`npm run test:slow`: scenarios, soaks, chaos, attacks and fuzzing that take tens of seconds) when it is
 * named `*.slow.test.ts`, to the default suite (`npm test`) otherwise. Files are listed from the TypeScript
 * sources, not from dist/, so a compiled file whose source was deleted is never run.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export type Suite = 'default' | 'slow';

/** The folders holding test files, relative to the project root. */
export const TEST_ROOTS = ['src', 'test'] as const;

const TEST_SUFFIX = '.test.ts';
const SLOW_SUFFIX = '.slow.test.ts';

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
  return sources.map((f) => compiledPath(root, f));
}
