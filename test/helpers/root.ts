/** The project root and the folders the tests read, found from this file (works from the sources and from dist/). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder above this file holding package.json and models/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const ROOT = findRoot();
export const MODELS_DIR = join(ROOT, 'models');
export const FIXTURE_MODELS_DIR = join(ROOT, 'test', 'fixtures', 'models');
export const REFERENCE_DIR = join(ROOT, 'test', 'fixtures', 'reference');
export const CLI_PATH = join(ROOT, 'dist', 'src', 'cli', 'inferd.js');
