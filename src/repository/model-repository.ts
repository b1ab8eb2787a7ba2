/**
 * A model repository on disk, laid out as Triton's:
 *
 *   <root>/<model>/config.yaml | config.pbtxt   (optional)
 *   <root>/<model>/<version>/model.onnx         (numbered version folders)
 *
 * Reading a model never throws for a single bad model: its problem is reported in `error`, so one broken model
 * does not stop the others from serving.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  assertModelName,
  defaultModelConfig,
  MODEL_NAME_PATTERN,
  readModelConfigFile,
  type DeclaredModelConfig,
  type RuntimeKind,
} from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { isVersionLabel, versionLabel } from '../config/version-label.js';

export interface ModelDefinition {
  readonly name: string;
  readonly dir: string;
  /** Its config with every default filled (the defaults alone when it has no config file or `error` is set). */
  readonly config: DeclaredModelConfig;
  /** Numbered version folders present on disk, ascending. */
  readonly versions: readonly number[];
  /** Why the model cannot be loaded at all (unreadable config, ...). */
  readonly error?: string | undefined;
}

const MODEL_NAME = MODEL_NAME_PATTERN;

/** Model names are folder names: reject anything that could escape the repository. */
export function assertValidModelName(name: string): void {
  assertModelName(name);
}

/** Artefact file names recognised when no config names one, by runtime. */
const ARTEFACTS: ReadonlyArray<[string, RuntimeKind]> = [
  ['model.onnx', 'onnx'],
  ['model.json', 'xgboost'],
  ['xgboost.json', 'xgboost'],
];

/** Detects a version folder's runtime from the files in it. */
export function detectRuntime(versionDir: string): { runtime: RuntimeKind; file: string } | undefined {
  for (const [file, runtime] of ARTEFACTS) {
    if (existsSync(join(versionDir, file))) return { runtime, file };
  }
  return undefined;
}

/** A model folder's config file (config.yaml or config.pbtxt), normalised; the defaults when it has none. */
export async function readModelFolderConfig(dir: string, name: string): Promise<DeclaredModelConfig> {
  const yamlPath = join(dir, 'config.yaml');
  const pbtxtPath = join(dir, 'config.pbtxt');
  const hasYaml = existsSync(yamlPath);
  const hasPbtxt = existsSync(pbtxtPath);
  if (hasYaml && hasPbtxt) {
    throw new ConfigError(`model '${name}' has both config.yaml and config.pbtxt; keep one`);
  }
  if (!hasYaml && !hasPbtxt) return defaultModelConfig(name);
  const path = hasYaml ? yamlPath : pbtxtPath;
  const text = await readFile(path, 'utf8');
  return readModelConfigFile(
    text,
    hasYaml ? 'yaml' : 'pbtxt',
    name,
    `${name}/${hasYaml ? 'config.yaml' : 'config.pbtxt'}`,
  );
}

async function listVersions(dir: string): Promise<number[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && isVersionLabel(e.name))
    .map((e) => Number(e.name))
    .sort((a, b) => a - b);
}

/**
 * What the registry reads models from: a folder on disk (`FileModelRepository`), an artefact store whose versions
 * are pulled into a local cache first (`artifacts/`), or several of them (`CompositeModelRepository`). Every model
 * it returns has a local folder (`ModelDefinition.dir`) laid out as on disk, which the integrity check and the
 * loader read.
 */
export interface ModelRepository {
  /** How messages name it: the folder as given, or the store's URL (`s3://bucket/prefix`). */
  readonly location: string;
  /** The local folder that messages name files relative to. */
  readonly root: string;
  /** Names of the models it holds. Rejects when it cannot be read (a store that cannot be reached). */
  modelNames(): Promise<string[]>;
  /** The names as last read, synchronously (for admin listings). Empty if never read. */
  modelNamesSync(): string[];
  /** One model's config and versions; problems with the model itself are reported in `error`. */
  readModel(name: string): Promise<ModelDefinition>;
  /** Equal fingerprints mean a reload would load the same thing. */
  fingerprint(name: string, version: number): Promise<string>;
  /**
   * Makes a version's files present under `<def.dir>/<version>` before it is verified and loaded (a store pulls
   * them into its cache). Absent: they already are.
   */
  fetchVersion?(def: ModelDefinition, version: number): Promise<void>;
  /** A model's local folder as last read (where its version folders are loaded from). */
  modelFolder(name: string): string;
  /** Rewrites local paths in a message to the names the repository gives them (cache folders to model folders). */
  rewritePaths?(message: string): string;
  /** Ends timers and connections. */
  close?(): void;
}

export class FileModelRepository implements ModelRepository {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = root;
  }

  modelFolder(name: string): string {
    return join(this.root, name);
  }

  /** Names of the model folders in the repository. */
  async modelNames(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (err) {
      throw new ConfigError(`cannot read the model repository: ${(err as Error).message}`, { cause: err });
    }
    return entries
      .filter((e) => e.isDirectory() && MODEL_NAME.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  /** Names of the model folders, read synchronously (for admin listings; the folder is small). Empty if unreadable. */
  modelNamesSync(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && MODEL_NAME.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  }

  /** Reads one model's config and versions. Problems are reported in `error`, never thrown. */
  async readModel(name: string): Promise<ModelDefinition> {
    assertValidModelName(name);
    const dir = join(this.root, name);
    try {
      if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
    } catch {
      return {
        name,
        dir,
        config: defaultModelConfig(name),
        versions: [],
        error: `model '${name}' is not in the repository`,
      };
    }
    try {
      const [config, versions] = await Promise.all([readModelFolderConfig(dir, name), listVersions(dir)]);
      const error = versions.length
        ? undefined
        : `model '${name}' has no numbered version folders (expected ${name}/1/...)`;
      return { name, dir, config, versions, error };
    } catch (err) {
      return { name, dir, config: defaultModelConfig(name), versions: [], error: (err as Error).message };
    }
  }

  /**
   * A fingerprint of what a version would load from: the model's config file, the other files beside it (label
   * files) and every file under the version folder (path, size, modification time). Equal fingerprints mean a
   * reload would load the same thing.
   */
  async fingerprint(name: string, version: number): Promise<string> {
    const hash = createHash('sha256');
    const dir = join(this.root, name);
    for (const file of ['config.yaml', 'config.pbtxt']) {
      try {
        hash.update(file).update(await readFile(join(dir, file)));
      } catch {
        // absent config: nothing to hash
      }
    }
    await hashFiles(dir, hash); // the model folder's own files (label files), not its version folders
    await hashTree(join(dir, versionLabel(version)), hash);
    return hash.digest('hex');
  }

  /** Reads every model in the repository. */
  async readAll(): Promise<ModelDefinition[]> {
    const names = await this.modelNames();
    return Promise.all(names.map((n) => this.readModel(n)));
  }
}

/** Name, size and modification time of the regular files directly in `dir`. */
async function hashFiles(dir: string, hash: ReturnType<typeof createHash>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.filter((x) => x.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
    const s = await stat(join(dir, e.name));
    hash.update(`${e.name}:${s.size}:${s.mtimeMs};`);
  }
}

async function hashTree(dir: string, hash: ReturnType<typeof createHash>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    hash.update('missing');
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await hashTree(path, hash);
    else {
      const s = await stat(path);
      hash.update(`${e.name}:${s.size}:${s.mtimeMs};`);
    }
  }
}
