/**
 * The local cache a store repository is pulled into (under the state directory, never the source):
 *
 *   <root>/<model>/<snapshot>/            a model folder as on disk: the model's own files (config, labels,
 *   <root>/<model>/<snapshot>/<version>/  manifest) named by a digest of their ETags, and its pulled versions
 *   <root>/.meta/<model>/<snapshot>/<version>   the digest of the objects a version folder was pulled from
 *   <root>/.tmp/                          downloads under way, emptied when the cache opens
 *
 * Nothing appears under a model folder until it is complete: files are written into a folder under .tmp and that
 * folder is renamed into place (same file system, so the rename is atomic). A download that fails or is killed
 * leaves only .tmp behind, which the integrity check and the loader never read.
 */
import { link, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export class ArtifactCache {
  constructor(readonly root: string) {}

  /** Creates the cache and empties what a killed download left. */
  async open(): Promise<void> {
    await rm(join(this.root, '.tmp'), { recursive: true, force: true });
    await mkdir(join(this.root, '.tmp'), { recursive: true });
  }

  modelDir(model: string, snapshot: string): string {
    return join(this.root, model, snapshot);
  }

  /** A new, empty folder for one download. */
  async tempDir(label: string): Promise<string> {
    await mkdir(join(this.root, '.tmp'), { recursive: true });
    return mkdtemp(join(this.root, '.tmp', `${label}-`));
  }

  /** Moves a complete folder to `target`; an older folder there is moved aside first, then removed. */
  async publish(temp: string, target: string): Promise<void> {
    await mkdir(dirname(target), { recursive: true });
    if (existsSync(target)) {
      const aside = await this.tempDir('replaced');
      await rename(target, join(aside, 'old'));
      await rename(temp, target);
      await rm(aside, { recursive: true, force: true });
      return;
    }
    try {
      await rename(temp, target);
    } catch (err) {
      // Another pull of the same content got there first: its folder is as good as ours.
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw err;
      await rm(temp, { recursive: true, force: true });
    }
  }

  private metaFile(model: string, snapshot: string, version: string): string {
    return join(this.root, '.meta', model, snapshot, version);
  }

  /** The digest a version folder was pulled from, or undefined when it is not (completely) in the cache. */
  async versionDigest(model: string, snapshot: string, version: string): Promise<string | undefined> {
    if (!existsSync(join(this.modelDir(model, snapshot), version))) return undefined;
    try {
      return (await readFile(this.metaFile(model, snapshot, version), 'utf8')).trim();
    } catch {
      return undefined;
    }
  }

  async forgetVersion(model: string, snapshot: string, version: string): Promise<void> {
    await rm(this.metaFile(model, snapshot, version), { force: true });
  }

  async recordVersion(model: string, snapshot: string, version: string, digest: string): Promise<void> {
    const file = this.metaFile(model, snapshot, version);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, digest);
    await rename(`${file}.tmp`, file);
  }

  /**
   * Removes a model's snapshots other than `keep` (folder names), with their records. The versions loaded from
   * them are in memory by then; the previous snapshot is kept so a change back finds its versions.
   */
  async prune(model: string, keep: readonly string[]): Promise<void> {
    let snapshots: string[];
    try {
      snapshots = await readdir(join(this.root, model));
    } catch {
      return;
    }
    for (const s of snapshots.filter((x) => !keep.includes(x))) {
      await rm(join(this.root, model, s), { recursive: true, force: true });
      await rm(join(this.root, '.meta', model, s), { recursive: true, force: true });
    }
  }

  /** The same version pulled from the same objects under another snapshot of the model (a config changed). */
  async findVersion(model: string, version: string, digest: string): Promise<string | undefined> {
    let snapshots: string[];
    try {
      snapshots = await readdir(join(this.root, '.meta', model));
    } catch {
      return undefined;
    }
    for (const s of snapshots)
      if ((await this.versionDigest(model, s, version)) === digest) return join(this.modelDir(model, s), version);
    return undefined;
  }
}

/** Copies a folder tree by hard links (same file system: no bytes copied), else by copying. */
export async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) await linkTree(src, dst);
    else await link(src, dst).catch(() => copyFile(src, dst));
  }
}
