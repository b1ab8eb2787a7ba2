/** Where a version's profile lives (`<repository>/<model>/<version>/profile.json`), and reading and writing it. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROFILE_FILE, profileFromJson, profileToJson, type Profile } from './profile.js';

export function profilePath(repository: string, model: string, version: string): string {
  return join(repository, model, version, PROFILE_FILE);
}

/** The profile at `path`, or undefined when there is none; throws (naming the file) when it is not a profile. */
export async function readProfile(path: string): Promise<Profile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return profileFromJson(text, path);
}

/** Writes the profile (to a temporary file first, so a reader never sees half a file). */
export async function writeProfile(path: string, profile: Profile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, profileToJson(profile), 'utf8');
  await rename(tmp, path);
}
