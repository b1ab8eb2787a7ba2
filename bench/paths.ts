/** Where things are. Compiled files run from dist/bench/, two levels below the repository root. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Compiled bench scripts (this folder at run time). */
export const DIST_BENCH = fileURLToPath(new URL('./', import.meta.url));
/** Static wrk Lua scripts live in the source tree; tsc does not copy them. */
export const LUA_DIR = join(REPO_ROOT, 'bench', 'wrk');
export const INFERD_CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'inferd.js');
export const MODELS_DIR = join(REPO_ROOT, 'models');
export const DIGITS_REFERENCE = join(REPO_ROOT, 'test', 'fixtures', 'reference', 'digits.json');
export const BENCHMARKS_MD = join(REPO_ROOT, 'BENCHMARKS.md');
