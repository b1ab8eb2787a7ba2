/**
 * Cascade folders: a model folder whose `config.yaml` declares `cascade:` holds no version of its own; the
 * cascade layer serves it (src/cascade/) and the registry does not load it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CASCADE_KEY = /^cascade\s*:/m;

/** True when the folder's config.yaml has a top-level `cascade:` key. */
export function isCascadeFolder(root: string, name: string): boolean {
  try {
    return CASCADE_KEY.test(readFileSync(join(root, name, 'config.yaml'), 'utf8'));
  } catch {
    return false;
  }
}
